// FD with ScaLAPACK (docs/fid.md "The matrix square root term"):
//   S1 = Z1 diag(w1) Z1^T (pdsyevd), Y = Z1 diag(sqrt(max(w1, 0)))  so S1^1/2 = Y Y^T;
//   M = Y^T S2 Y (two pdgemm) is orthogonally similar to S1^1/2 S2 S1^1/2
//   (Z1 M Z1^T = S1^1/2 S2 S1^1/2), so Tr sqrt = sum sqrt(max(eig(M), 0)) (pdsyevd).
// Every rank holds the whole input; each copies its block-cyclic pieces locally.
#include "eval/fid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "eval/scalapack.h"
#include "mpi/comm.h"

// One d x d matrix distribution: grid, block size and this rank's local shape.
typedef struct {
  int context, handle;
  int has_handle, has_grid;
  int nprow, npcol, myrow, mycol;
  int d, nb;
  int np, nq;           // local rows and columns
  int desc[SCALAPACK_DLEN];
} Grid;

void fid_grid_shape(int P, int *nprow, int *npcol) {
  int r = 1;
  for (int i = 1; (long)i * i <= P; i++)
    if (P % i == 0) r = i;
  *nprow = r;
  *npcol = P / r;
}

int fid_block_size(size_t d, int nprow, int npcol) {
  int most = nprow > npcol ? nprow : npcol;
  size_t nb = d / (size_t)most;
  if (nb > 64) nb = 64;
  return nb < 1 ? 1 : (int)nb;
}

static int grid_open(Grid *g, size_t d, MPI_Comm comm) {
  memset(g, 0, sizeof *g);
  int P;
  MPI_TRY(MPI_Comm_size(comm, &P));
  fid_grid_shape(P, &g->nprow, &g->npcol);
  g->d = (int)d;
  g->nb = fid_block_size(d, g->nprow, g->npcol);
  g->handle = Csys2blacs_handle(comm);
  g->has_handle = 1;
  g->context = g->handle;
  Cblacs_gridinit(&g->context, "Row", g->nprow, g->npcol);
  int nprow, npcol;
  Cblacs_gridinfo(g->context, &nprow, &npcol, &g->myrow, &g->mycol);
  g->has_grid = g->myrow >= 0;
  if (nprow != g->nprow || npcol != g->npcol || g->myrow < 0)
    return vdmc_fail(VDMC_ERR_MPI, "fid: BLACS grid %dx%d was not created (got %dx%d)", g->nprow,
                     g->npcol, nprow, npcol);
  int zero = 0, info = 0;
  g->np = numroc_(&g->d, &g->nb, &g->myrow, &zero, &g->nprow);
  g->nq = numroc_(&g->d, &g->nb, &g->mycol, &zero, &g->npcol);
  int lld = g->np > 1 ? g->np : 1;
  descinit_(g->desc, &g->d, &g->d, &g->nb, &g->nb, &zero, &zero, &g->context, &lld, &info);
  if (info != 0) return vdmc_fail(VDMC_ERR_INTERNAL, "fid: descinit failed (info = %d)", info);
  return VDMC_OK;
}

static void grid_close(Grid *g) {
  if (g->has_grid) Cblacs_gridexit(g->context);
  if (g->has_handle) Cfree_blacs_system_handle(g->handle);
}

// Global index of local index l (block-cyclic, source process 0).
static size_t global_index(int l, int nb, int me, int nprocs) {
  return ((size_t)(l / nb) * nprocs + me) * nb + l % nb;
}

static size_t local_numel(const Grid *g) {
  return (size_t)(g->np > 1 ? g->np : 1) * (size_t)(g->nq > 0 ? g->nq : 1);
}

// This rank's pieces of the replicated row-major matrix a (d, d), column-major local.
static void scatter_local(const Grid *g, const double *a, double *local) {
  size_t lld = g->np > 1 ? (size_t)g->np : 1;
  for (int lj = 0; lj < g->nq; lj++) {
    size_t j = global_index(lj, g->nb, g->mycol, g->npcol);
    for (int li = 0; li < g->np; li++) {
      size_t i = global_index(li, g->nb, g->myrow, g->nprow);
      local[(size_t)lj * lld + li] = a[i * (size_t)g->d + j];
    }
  }
}

// Eigenvalues (ascending, replicated) and local eigenvectors of the symmetric local
// matrix a (destroyed).
static int eigh(const Grid *g, double *a, double *w, double *z, const char *what) {
  int one = 1, info = 0, lwork = -1, liwork = 1, iquery = 0;
  double query = 0;
  pdsyevd_("V", "L", &g->d, a, &one, &one, g->desc, w, z, &one, &one, g->desc, &query, &lwork,
           &iquery, &liwork, &info, 1, 1);
  if (info != 0)
    return vdmc_fail(VDMC_ERR_NUMERIC, "fid: pdsyevd workspace query for %s failed (info = %d)",
                     what, info);
  // The query omits what PDORMTR (called inside) needs when nb is large relative to
  // the local size, and PDSYEVD then ignores PDORMTR's error: add PDORMTR's own
  // minimum, max(nb(nb-1)/2, (nq + np + 2nb) nb) + nb^2, on top (docs/fid.md).
  double ormtr = (double)(g->np + g->nq + 2 * g->nb) * g->nb + 1.5 * g->nb * g->nb;
  if (query + ormtr > 2e9)
    return vdmc_fail(VDMC_ERR_INPUT, "fid: pdsyevd workspace for d = %d exceeds an int", g->d);
  lwork = (int)(query + ormtr);
  liwork = iquery > 1 ? iquery : 1;
  double *work = malloc((size_t)lwork * sizeof *work);
  int *iwork = malloc((size_t)liwork * sizeof *iwork);
  if (!work || !iwork) {
    free(work);
    free(iwork);
    return vdmc_fail(VDMC_ERR_MEMORY, "fid: out of memory for pdsyevd workspace (%d doubles)", lwork);
  }
  pdsyevd_("V", "L", &g->d, a, &one, &one, g->desc, w, z, &one, &one, g->desc, work, &lwork,
           iwork, &liwork, &info, 1, 1);
  free(work);
  free(iwork);
  if (info != 0)
    return vdmc_fail(VDMC_ERR_NUMERIC, "fid: pdsyevd of %s failed (info = %d)", what, info);
  return VDMC_OK;
}

// c = op(a) . b on the grid.
static void matmul(const Grid *g, const char *transa, const double *a, const double *b, double *c) {
  int one = 1;
  double alpha = 1.0, beta = 0.0;
  pdgemm_(transa, "N", &g->d, &g->d, &g->d, &alpha, a, &one, &one, g->desc, b, &one, &one, g->desc,
          &beta, c, &one, &one, g->desc, 1, 1);
}

// Sum of sqrt of the eigenvalues, clamping negatives to 0; *clamped = the most negative.
static double sum_sqrt_clamped(const double *w, int d, double *clamped) {
  double s = 0;
  *clamped = 0;
  for (int i = 0; i < d; i++) {
    if (w[i] < *clamped) *clamped = w[i];
    if (w[i] > 0) s += sqrt(w[i]);
  }
  return s;
}

// Tr(M) = Tr(Y^T S2 Y) = Tr(S2 S1) when Y Y^T = S1: a cheap check that both
// eigendecompositions and products are consistent (a ScaLAPACK error that does not
// reach `info` would break it). Clamping changes Tr(M) by ~d eps |S1| |S2| only.
static int check_trace(const double *w, const double *s1, const double *s2, int d) {
  double tr_m = 0, tr_12 = 0, n1 = 0, n2 = 0;
  for (int i = 0; i < d; i++) tr_m += w[i];
  for (size_t i = 0; i < (size_t)d * d; i++) {
    tr_12 += s1[i] * s2[i];
    n1 += s1[i] * s1[i];
    n2 += s2[i] * s2[i];
  }
  double tol = 1e-8 * sqrt(n1 * n2) + 1e-300;
  if (!(fabs(tr_m - tr_12) <= tol))
    return vdmc_fail(VDMC_ERR_NUMERIC,
                     "fid: inconsistent eigendecomposition: Tr(M) = %.17g but Tr(S1 S2) = %.17g "
                     "(tolerance %.3g); a ScaLAPACK failure?", tr_m, tr_12, tol);
  return VDMC_OK;
}

static int trace_sqrt_term(const Grid *g, const double *sigma1, const double *sigma2,
                           FidDistance *out) {
  size_t n = local_numel(g);
  double *a = malloc(n * sizeof *a), *z = malloc(n * sizeof *z), *t = malloc(n * sizeof *t);
  double *w = malloc((size_t)g->d * sizeof *w);
  int st = VDMC_OK;
  if (!a || !z || !t || !w) {
    st = vdmc_fail(VDMC_ERR_MEMORY, "fid: out of memory for %zu local doubles", n);
    goto done;
  }
  scatter_local(g, sigma1, a);
  if ((st = eigh(g, a, w, z, "sigma1"))) goto done;
  // Y = Z1 diag(sqrt(max(w1, 0))): scale this rank's columns of Z1.
  size_t lld = g->np > 1 ? (size_t)g->np : 1;
  for (int lj = 0; lj < g->nq; lj++) {
    double wj = w[global_index(lj, g->nb, g->mycol, g->npcol)];
    double s = wj > 0 ? sqrt(wj) : 0;
    for (int li = 0; li < g->np; li++) z[(size_t)lj * lld + li] *= s;
  }
  sum_sqrt_clamped(w, g->d, &out->clamped1);
  scatter_local(g, sigma2, a);
  matmul(g, "N", a, z, t);  // T = S2 Y
  matmul(g, "T", z, t, a);  // M = Y^T S2 Y
  if ((st = eigh(g, a, w, t, "S1^1/2 S2 S1^1/2"))) goto done;
  out->trace_sqrt = sum_sqrt_clamped(w, g->d, &out->clamped2);
  st = check_trace(w, sigma1, sigma2, g->d);
done:
  free(a);
  free(z);
  free(t);
  free(w);
  return st;
}

int fid_distance(const double *mu1, const double *sigma1, const double *mu2,
                 const double *sigma2, size_t d, MPI_Comm comm, FidDistance *out) {
  memset(out, 0, sizeof *out);
  if (d < 1 || d > 46340)  // d*d must fit the int ScaLAPACK indexes with
    return vdmc_fail(VDMC_ERR_INPUT, "fid: feature dimension %zu outside [1, 46340]", d);
  for (size_t i = 0; i < d; i++) {
    double diff = mu1[i] - mu2[i];
    out->mean_term += diff * diff;
    out->trace1 += sigma1[i * d + i];
    out->trace2 += sigma2[i * d + i];
  }
  Grid g;
  int st = grid_open(&g, d, comm);
  if (!st) st = trace_sqrt_term(&g, sigma1, sigma2, out);
  grid_close(&g);
  if (st) return st;
  out->nprow = g.nprow;
  out->npcol = g.npcol;
  out->fd = out->mean_term + out->trace1 + out->trace2 - 2.0 * out->trace_sqrt;
  if (!isfinite(out->fd))
    return vdmc_fail(VDMC_ERR_NUMERIC, "fid: the distance is not finite (non-finite statistics?)");
  return VDMC_OK;
}
