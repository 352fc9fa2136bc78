// Shifted float64 accumulation of feature means and covariances, and the stats file.
#include "eval/fid_stats.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/small_h5.h"
#include "io/h5_attr.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

int fid_accum_init(FidAccum *a, size_t d, const double *shift) {
  memset(a, 0, sizeof *a);
  if (d < 1) return vdmc_fail(VDMC_ERR_INPUT, "fid: feature dimension must be >= 1");
  a->d = d;
  a->shift = calloc(d, sizeof(double));
  a->sum = calloc(d, sizeof(double));
  a->outer = calloc(d * d, sizeof(double));
  a->block = calloc((size_t)FID_ACCUM_BLOCK * d, sizeof(double));
  if (!a->shift || !a->sum || !a->outer || !a->block) {
    fid_accum_free(a);
    return vdmc_fail(VDMC_ERR_MEMORY, "fid: out of memory for %zu x %zu statistics", d, d);
  }
  if (shift) memcpy(a->shift, shift, d * sizeof(double));
  return VDMC_OK;
}

// Folds the pending rows into sum and the upper triangle of outer.
static void flush(FidAccum *a) {
  if (!a->pending) return;
  size_t d = a->d;
  for (size_t r = 0; r < a->pending; r++)
    for (size_t j = 0; j < d; j++) a->sum[j] += a->block[r * d + j];
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)a->pending, 1.0, a->block,
              (int)d, 1.0, a->outer, (int)d);
  a->n += (double)a->pending;
  a->pending = 0;
}

void fid_accum_add(FidAccum *a, const float *x, size_t n) {
  size_t d = a->d;
  for (size_t r = 0; r < n; r++) {
    double *row = a->block + a->pending * d;
    for (size_t j = 0; j < d; j++) row[j] = (double)x[r * d + j] - a->shift[j];
    if (++a->pending == FID_ACCUM_BLOCK) flush(a);
  }
}

// Moves every rank's sums to one shift c, that of the lowest rank holding rows:
// with delta = shift - c, sum += n delta and outer += u delta^T + delta u^T for
// u = sum + n delta / 2 (= sum delta^T + delta sum^T + n delta delta^T).
static int common_shift(FidAccum *a, MPI_Comm comm) {
  int rank, holder;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  int mine = a->n > 0 ? rank : INT_MAX;
  MPI_TRY(MPI_Allreduce(&mine, &holder, 1, MPI_INT, MPI_MIN, comm));
  if (holder == INT_MAX) return VDMC_OK;  // no rows anywhere
  size_t d = a->d;
  double *c = malloc(d * sizeof *c), *u = malloc(d * sizeof *u);
  int st = c && u ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "fid: out of memory");
  st = mpi_agree(comm, st);
  if (!st && rank == holder) memcpy(c, a->shift, d * sizeof *c);
  if (!st) st = MPI_STATUS(MPI_Bcast(c, (int)d, MPI_DOUBLE, holder, comm), "fid: MPI_Bcast of the common shift");
  if (!st && a->n > 0 && rank != holder) {
    for (size_t j = 0; j < d; j++) {
      a->shift[j] -= c[j];  // delta
      u[j] = a->sum[j] + a->n * a->shift[j] / 2;
      a->sum[j] += a->n * a->shift[j];
    }
    cblas_dsyr2(CblasRowMajor, CblasUpper, (int)d, 1.0, u, 1, a->shift, 1, a->outer, (int)d);
  }
  if (!st) memcpy(a->shift, c, d * sizeof *c);
  free(c);
  free(u);
  return st;
}

int fid_accum_reduce(FidAccum *a, MPI_Comm comm) {
  flush(a);
  size_t d = a->d;
  int st = common_shift(a, comm);
  if (st) return st;
  MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, &a->n, 1, MPI_DOUBLE, MPI_SUM, comm));
  MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, a->sum, (int)d, MPI_DOUBLE, MPI_SUM, comm));
  // outer in row pieces so each count fits an int
  size_t rows = ((size_t)1 << 26) / d;
  if (rows < 1) rows = 1;
  for (size_t r = 0; r < d; r += rows) {
    size_t nr = r + rows > d ? d - r : rows;
    MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, a->outer + r * d, (int)(nr * d), MPI_DOUBLE, MPI_SUM, comm));
  }
  return VDMC_OK;
}

int fid_accum_finish(FidAccum *a, FidStats *s) {
  flush(a);
  memset(s, 0, sizeof *s);
  size_t d = a->d;
  double n = a->n;
  if (n < 2) return vdmc_fail(VDMC_ERR_INPUT, "fid: need at least 2 examples for a covariance, got %.0f", n);
  s->d = d;
  s->n = (int64_t)n;
  s->mu = malloc(d * sizeof(double));
  s->sigma = malloc(d * d * sizeof(double));
  if (!s->mu || !s->sigma) {
    fid_stats_free(s);
    return vdmc_fail(VDMC_ERR_MEMORY, "fid: out of memory for %zu x %zu statistics", d, d);
  }
  for (size_t i = 0; i < d; i++) s->mu[i] = a->shift[i] + a->sum[i] / n;
  for (size_t i = 0; i < d; i++)
    for (size_t j = i; j < d; j++) {
      double c = (a->outer[i * d + j] - a->sum[i] * a->sum[j] / n) / (n - 1);
      s->sigma[i * d + j] = s->sigma[j * d + i] = c;
    }
  return VDMC_OK;
}

void fid_accum_free(FidAccum *a) {
  free(a->shift);
  free(a->sum);
  free(a->outer);
  free(a->block);
  memset(a, 0, sizeof *a);
}

static const char *STATS_HINT = "re-create it with `vdmc fid-stats` (docs/fid.md)";

int fid_stats_write(const char *path, const FidStats *s) {
  SmallH5 f;
  int st = small_h5_create(&f, path, FID_STATS_KIND, FID_STATS_FORMAT_VERSION);
  size_t shape[2] = {s->d, s->d};
  if (!st) st = small_h5_write(&f, "mu", H5T_NATIVE_DOUBLE, 1, shape, s->mu);
  if (!st) st = small_h5_write(&f, "sigma", H5T_NATIVE_DOUBLE, 2, shape, s->sigma);
  if (!st) st = h5_attr_write_int(f.file, "n", s->n, f.out.tmp_path);
  if (!st) st = h5_attr_write_int(f.file, "features_crc32", s->features_crc32, f.out.tmp_path);
  if (!st) st = h5_attr_write_string(f.file, "source", s->source, f.out.tmp_path);
  size_t fshape[2] = {(size_t)s->n_features, s->d};
  if (!st && s->n_features > 0) st = small_h5_write(&f, "features", H5T_NATIVE_FLOAT, 2, fshape, s->features);
  return small_h5_finish(&f, st);
}

int fid_stats_read(const char *path, FidStats *s) {
  memset(s, 0, sizeof *s);
  SmallH5 f;
  int st = small_h5_open(&f, path, FID_STATS_KIND, FID_STATS_FORMAT_VERSION, STATS_HINT);
  if (st) return st;
  size_t dmu[1], dsig[2];
  long long n = 0, crc = 0;
  void *mu = NULL, *sigma = NULL;
  if (!st) st = small_h5_read(&f, "mu", H5T_NATIVE_DOUBLE, sizeof(double), 1, dmu, &mu);
  if (!st) st = small_h5_read(&f, "sigma", H5T_NATIVE_DOUBLE, sizeof(double), 2, dsig, &sigma);
  if (!st) st = h5_attr_read_int(f.file, "n", &n, path, STATS_HINT);
  if (!st) st = h5_attr_read_int(f.file, "features_crc32", &crc, path, STATS_HINT);
  if (!st) st = h5_attr_read_string(f.file, "source", s->source, sizeof s->source, path, STATS_HINT);
  size_t dfeat[2] = {0, 0};
  void *features = NULL;
  if (!st && H5Lexists(f.file, "features", H5P_DEFAULT) > 0)
    st = small_h5_read(&f, "features", H5T_NATIVE_FLOAT, sizeof(float), 2, dfeat, &features);
  small_h5_close(&f);
  s->features = features;
  s->n_features = (int64_t)dfeat[0];
  if (!st && features && (dfeat[1] != dmu[0] || dfeat[0] > (size_t)n))
    st = vdmc_fail(VDMC_ERR_IO, "%s: /features is %zux%zu but the statistics have d = %zu from n = %lld examples; %s",
                   path, dfeat[0], dfeat[1], dmu[0], n, STATS_HINT);
  for (size_t i = 0; !st && i < dfeat[0] * dfeat[1]; i++)
    if (!isfinite(s->features[i])) st = vdmc_fail(VDMC_ERR_IO, "%s: non-finite value in /features; %s", path, STATS_HINT);
  s->mu = mu;
  s->sigma = sigma;
  if (!st && (dmu[0] < 1 || dsig[0] != dmu[0] || dsig[1] != dmu[0]))
    st = vdmc_fail(VDMC_ERR_IO, "%s: /sigma is %zux%zu but /mu has %zu entries; %s", path, dsig[0],
                   dsig[1], dmu[0], STATS_HINT);
  if (!st && n < 2) st = vdmc_fail(VDMC_ERR_IO, "%s: n = %lld examples (need >= 2); %s", path, n, STATS_HINT);
  for (size_t i = 0; !st && i < dmu[0] * dmu[0]; i++)
    if (!isfinite(s->sigma[i]) || (i < dmu[0] && !isfinite(s->mu[i])))
      st = vdmc_fail(VDMC_ERR_IO, "%s: non-finite value in /mu or /sigma; %s", path, STATS_HINT);
  if (st) {
    fid_stats_free(s);
    return st;
  }
  s->d = dmu[0];
  s->n = n;
  s->features_crc32 = (uint32_t)crc;
  return VDMC_OK;
}

void fid_stats_free(FidStats *s) {
  free(s->mu);
  free(s->sigma);
  free(s->features);
  memset(s, 0, sizeof *s);
}
