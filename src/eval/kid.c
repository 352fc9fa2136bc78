// Kernel Inception Distance over subsets (kid.h): gram matrices by GEMM, kernel sums
// in double.
#include "eval/kid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "ops/gemm.h"

size_t kid_default_subset(size_t nx, size_t ny) {
  size_t m = nx < ny ? nx : ny;
  return m < 1000 ? m : 1000;
}

// rows (m, d) = m distinct rows of set (n, d), chosen by a partial Fisher-Yates shuffle
// driven by stream (seed, RNG_EVAL_SUBSET, which, s).
static void draw_subset(float *rows, const float *set, size_t n, size_t d, size_t m, size_t *perm, uint64_t seed,
                        int which, int s) {
  RngStream st = {seed, RNG_EVAL_SUBSET, (uint32_t)which, (uint64_t)s, 0};
  for (size_t i = 0; i < n; i++) perm[i] = i;
  for (size_t i = 0; i < m; i++) {
    size_t j = i + (size_t)(rng_uniform_double(&st, i) * (double)(n - i));
    if (j >= n) j = n - 1;  // guards the u -> 1 rounding edge
    size_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
    memcpy(rows + i * d, set + perm[i] * d, d * sizeof(float));
  }
}

// Sum of k over a gram matrix g (m, n) = A B^T, skipping the diagonal when `off_diag`.
static double kernel_sum(const float *g, size_t m, size_t n, size_t d, int off_diag) {
  double sum = 0;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      if (off_diag && i == j) continue;
      const double a = (double)g[i * n + j] / (double)d + 1;
      sum += a * a * a;
    }
  return sum;
}

int kid_compute(const float *x, size_t nx, const float *y, size_t ny, size_t d, int subsets, size_t subset_size,
                uint64_t seed, MPI_Comm comm, KidResult *out) {
  memset(out, 0, sizeof *out);
  const size_t m = subset_size;
  if (subsets < 1) return vdmc_fail(VDMC_ERR_INPUT, "KID: %d subsets, need at least 1", subsets);
  if (m < 2 || m > nx || m > ny)
    return vdmc_fail(VDMC_ERR_INPUT, "KID: subset size %zu must be in [2, min(%zu, %zu)] (the two sets' sizes)", m,
                     nx, ny);
  int rank, P;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &P));
  size_t nmax = nx > ny ? nx : ny;
  float *xs = malloc(m * d * sizeof(float)), *ys = malloc(m * d * sizeof(float)), *g = malloc(m * m * sizeof(float));
  size_t *perm = malloc(nmax * sizeof *perm);
  double *vals = calloc((size_t)subsets, sizeof *vals);
  int st = xs && ys && g && perm && vals ? VDMC_OK
                                         : vdmc_fail(VDMC_ERR_MEMORY, "KID: out of memory for subsets of %zu x %zu", m, d);
  const double mm1 = (double)m * (double)(m - 1), m2 = (double)m * (double)m;
  for (int s = rank; !st && s < subsets; s += P) {
    draw_subset(xs, x, nx, d, m, perm, seed, 0, s);
    draw_subset(ys, y, ny, d, m, perm, seed, 1, s);
    gemm_rowmajor(0, 1, m, m, d, xs, xs, 0, g);
    double kxx = kernel_sum(g, m, m, d, 1);
    gemm_rowmajor(0, 1, m, m, d, ys, ys, 0, g);
    double kyy = kernel_sum(g, m, m, d, 1);
    gemm_rowmajor(0, 1, m, m, d, xs, ys, 0, g);
    double kxy = kernel_sum(g, m, m, d, 0);
    vals[s] = kxx / mm1 + kyy / mm1 - 2 * kxy / m2;
  }
  st = mpi_agree(comm, st);
  if (!st) st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, vals, subsets, MPI_DOUBLE, MPI_SUM, comm),
                           "KID: MPI_Allreduce of the subset values");
  if (!st) {
    double sum = 0, dev = 0;
    for (int s = 0; s < subsets; s++) sum += vals[s];
    out->mean = sum / subsets;
    for (int s = 0; s < subsets; s++) dev += (vals[s] - out->mean) * (vals[s] - out->mean);
    out->std = sqrt(dev / subsets);  // population std, as the reference implementations
    out->subsets = subsets;
    out->subset_size = m;
    if (!isfinite(out->mean)) st = vdmc_fail(VDMC_ERR_NUMERIC, "KID: non-finite result (non-finite features?)");
  }
  free(xs);
  free(ys);
  free(g);
  free(perm);
  free(vals);
  return st;
}
