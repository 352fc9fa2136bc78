// Feature statistics for FID: mean and covariance of d-dimensional features,
// accumulated per rank in float64 and summed over ranks, and their HDF5 file.
//
// Accumulation is shifted for accuracy: with a shift c (e.g. one example's features)
// each rank sums s = sum (x - c) and S = sum (x - c)(x - c)^T (cblas_dsyrk over blocks
// of rows), then after the all-reduce
//   mu = c + s / n,   sigma = (S - s s^T / n) / (n - 1)      (unbiased, as np.cov)
// so the raw second moment of large-mean features never cancels catastrophically.
//
// Stats file (vdmc_kind "fid-stats", format_version 1):
//   /mu float64 [d], /sigma float64 [d, d]; attributes n (examples), source (what
//   the statistics were computed from), features_crc32 (identity of the feature net).
// Legend: d feature dimension, b rows in a block.
#ifndef VDMC_EVAL_FID_STATS_H
#define VDMC_EVAL_FID_STATS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define FID_STATS_KIND "fid-stats"
#define FID_STATS_FORMAT_VERSION 1

typedef struct {
  size_t d;
  double n;         // rows added (after reduce: over all ranks)
  double *shift;    // (d)
  double *sum;      // (d) sum of (x - shift)
  double *outer;    // (d, d) sum of (x - shift)(x - shift)^T; upper triangle until finish
  double *block;    // (FID_ACCUM_BLOCK, d) rows converted to double, shifted
  size_t pending;   // rows waiting in block
} FidAccum;

#define FID_ACCUM_BLOCK 256

typedef struct {
  size_t d;
  int64_t n;
  double *mu;       // (d)
  double *sigma;    // (d, d) symmetric, row-major
  uint32_t features_crc32;
  char source[1024];
  float *features;      // (n_features, d) the first n_features examples' features (KID,
  int64_t n_features;   // precision/recall), or NULL / 0; stored as /features when present
} FidStats;

// shift (d) may be NULL (zero shift).
int fid_accum_init(FidAccum *a, size_t d, const double *shift);
// Adds n rows of float features x (n, d).
void fid_accum_add(FidAccum *a, const float *x, size_t n);
// Collective: every rank ends with the sums over all ranks, moved first to one common
// shift (that of the lowest rank holding rows), so ranks may start from different shifts.
int fid_accum_reduce(FidAccum *a, MPI_Comm comm);
// mu and sigma from the (reduced) sums into s (allocated; free with fid_stats_free).
// Needs n >= 2.
int fid_accum_finish(FidAccum *a, FidStats *s);
void fid_accum_free(FidAccum *a);

// Serial: write (through PATH.tmp) / read and validate a stats file.
int fid_stats_write(const char *path, const FidStats *s);
int fid_stats_read(const char *path, FidStats *s);
void fid_stats_free(FidStats *s);

#endif
