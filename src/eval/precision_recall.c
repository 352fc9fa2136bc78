// Improved precision and recall (precision_recall.h). Squared distances come in tiles
// |a|^2 + |b|^2 - 2 a.b, the products by GEMM in float32 and the sums in double; a
// tile is TILE_A x TILE_B floats, so memory does not grow with the set sizes.
#include "eval/precision_recall.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "ops/gemm.h"

enum { TILE_A = 128, TILE_B = 4096 };

typedef struct {
  const float *rows;  // (n, d)
  size_t n;
  double *norm2;      // (n) squared norms
} Set;

static int set_init(Set *s, const float *rows, size_t n, size_t d) {
  s->rows = rows;
  s->n = n;
  s->norm2 = malloc((n ? n : 1) * sizeof(double));
  if (!s->norm2) return vdmc_fail(VDMC_ERR_MEMORY, "precision/recall: out of memory for %zu norms", n);
  for (size_t i = 0; i < n; i++) {
    double acc = 0;
    for (size_t j = 0; j < d; j++) acc += (double)rows[i * d + j] * rows[i * d + j];
    s->norm2[i] = acc;
  }
  return VDMC_OK;
}

// Visits the squared distances between rows [a0, a1) of A and every row of B, a tile at
// a time: visit(ctx, i, j0, dist2 + ..., count) with dist2[j - j0] for row i of A.
typedef void (*TileVisit)(void *ctx, size_t i, size_t j0, const double *dist2, size_t count);

static void each_distance(const Set *A, size_t a0, size_t a1, const Set *B, size_t d, float *dot, double *row,
                          TileVisit visit, void *ctx) {
  for (size_t i0 = a0; i0 < a1; i0 += TILE_A) {
    size_t ni = a1 - i0 < TILE_A ? a1 - i0 : TILE_A;
    for (size_t j0 = 0; j0 < B->n; j0 += TILE_B) {
      size_t nj = B->n - j0 < TILE_B ? B->n - j0 : TILE_B;
      gemm_rowmajor(0, 1, ni, nj, d, A->rows + i0 * d, B->rows + j0 * d, 0, dot);  // (ni, nj) = A B^T
      for (size_t i = 0; i < ni; i++) {
        for (size_t j = 0; j < nj; j++)
          row[j] = fmax(A->norm2[i0 + i] + B->norm2[j0 + j] - 2.0 * (double)dot[i * nj + j], 0.0);
        visit(ctx, i0 + i, j0, row, nj);
      }
    }
  }
}

// The radius of each point: its k+1 smallest squared distances within the set are
// kept sorted (the point itself among them), the largest is radius^2.
typedef struct {
  int k;
  double *best;  // (n, k+1) ascending
} Radii;

static void keep_smallest(void *ctx, size_t i, size_t j0, const double *dist2, size_t count) {
  (void)j0;
  Radii *r = ctx;
  const int kk = r->k + 1;
  double *b = r->best + i * (size_t)kk;
  for (size_t j = 0; j < count; j++) {
    double v = dist2[j];
    if (v >= b[kk - 1]) continue;
    int p = kk - 1;
    while (p > 0 && b[p - 1] > v) {
      b[p] = b[p - 1];
      p--;
    }
    b[p] = v;
  }
}

// Whether each query point lies inside the other set's manifold.
typedef struct {
  const double *radius2;  // (n of the manifold set)
  unsigned char *inside;  // (queries)
} Coverage;

static void mark_inside(void *ctx, size_t i, size_t j0, const double *dist2, size_t count) {
  Coverage *c = ctx;
  if (c->inside[i]) return;
  for (size_t j = 0; j < count; j++)
    if (dist2[j] <= c->radius2[j0 + j]) {
      c->inside[i] = 1;
      return;
    }
}

// This rank's share [lo, hi) of n rows.
static void share(size_t n, int rank, int P, size_t *lo, size_t *hi) {
  *lo = n * (size_t)rank / (size_t)P;
  *hi = n * (size_t)(rank + 1) / (size_t)P;
}

// Scratch of the passes, allocated once before the first collective so that no rank
// can fail alone between two of them.
typedef struct {
  float *dot;           // (TILE_A, TILE_B)
  double *row;          // (TILE_B)
  double *best;         // (max n, k+1)
  unsigned char *inside;  // (max n)
} Scratch;

// radius2 (set->n), the same on every rank: each rank computes its rows, a sum
// reduction over zero-filled arrays assembles them.
static int radii(const Set *s, size_t d, int k, int rank, int P, MPI_Comm comm, Scratch *w, double *radius2) {
  size_t lo, hi, kk = (size_t)k + 1;
  share(s->n, rank, P, &lo, &hi);
  Radii r = {k, w->best};
  for (size_t i = 0; i < s->n * kk; i++) r.best[i] = INFINITY;
  each_distance(s, lo, hi, s, d, w->dot, w->row, keep_smallest, &r);
  memset(radius2, 0, s->n * sizeof(double));
  for (size_t i = lo; i < hi; i++) radius2[i] = r.best[i * kk + kk - 1];
  return MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, radius2, (int)s->n, MPI_DOUBLE, MPI_SUM, comm),
                    "precision/recall: MPI_Allreduce of the radii");
}

// The fraction of the query set inside the manifold (its points, radius2).
static int coverage(const Set *query, const Set *manifold, const double *radius2, size_t d, int rank, int P,
                    MPI_Comm comm, Scratch *w, double *fraction) {
  size_t lo, hi;
  share(query->n, rank, P, &lo, &hi);
  Coverage c = {radius2, w->inside};
  memset(c.inside, 0, query->n);
  each_distance(query, lo, hi, manifold, d, w->dot, w->row, mark_inside, &c);
  double count = 0;
  for (size_t i = lo; i < hi; i++) count += c.inside[i];
  MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, &count, 1, MPI_DOUBLE, MPI_SUM, comm));
  *fraction = count / (double)query->n;
  return VDMC_OK;
}

int precision_recall(const float *real, size_t nr, const float *fake, size_t nf, size_t d, int k, MPI_Comm comm,
                     PrecisionRecall *out) {
  memset(out, 0, sizeof *out);
  if (k < 1 || (size_t)k >= nr || (size_t)k >= nf)
    return vdmc_fail(VDMC_ERR_INPUT, "precision/recall: k = %d needs more than k points in each set (%zu real, %zu "
                     "generated)", k, nr, nf);
  int rank, P;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &P));
  Set R = {0}, G = {0};
  const size_t nmax = nr > nf ? nr : nf;
  Scratch w = {malloc((size_t)TILE_A * TILE_B * sizeof(float)), malloc((size_t)TILE_B * sizeof(double)),
               malloc(nmax * ((size_t)k + 1) * sizeof(double)), malloc(nmax)};
  double *rad_r = malloc(nr * sizeof(double)), *rad_g = malloc(nf * sizeof(double));
  int st = w.dot && w.row && w.best && w.inside && rad_r && rad_g
               ? VDMC_OK
               : vdmc_fail(VDMC_ERR_MEMORY, "precision/recall: out of memory for %zu x %zu features", nmax, d);
  if (!st) st = set_init(&R, real, nr, d);
  if (!st) st = set_init(&G, fake, nf, d);
  // every rank reaches the same collectives: a local failure is agreed before them
  st = mpi_agree(comm, st);
  if (!st) st = radii(&R, d, k, rank, P, comm, &w, rad_r);
  if (!st) st = radii(&G, d, k, rank, P, comm, &w, rad_g);
  if (!st) st = coverage(&G, &R, rad_r, d, rank, P, comm, &w, &out->precision);
  if (!st) st = coverage(&R, &G, rad_g, d, rank, P, comm, &w, &out->recall);
  out->k = k;
  free(R.norm2);
  free(G.norm2);
  free(w.dot);
  free(w.row);
  free(w.best);
  free(w.inside);
  free(rad_r);
  free(rad_g);
  return st;
}
