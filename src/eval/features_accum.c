// Feature statistics and the split Inception Score of batches of images (features.h).
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/finite.h"
#include "core/status.h"
#include "eval/features.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

int feature_accum_init(FeatureAccum *a, FeatureNet *f, long long n, int splits) {
  memset(a, 0, sizeof *a);
  a->net = f;
  a->n = n;
  a->splits = splits;
  if (splits < 1) return vdmc_fail(VDMC_ERR_INPUT, "--is-splits %d: must be >= 1", splits);
  if (n < splits)
    return vdmc_fail(VDMC_ERR_INPUT, "--is-splits %d: more Inception Score splits than the %lld examples; "
                     "give at least %d examples or fewer splits", splits, n, splits);
  size_t S = (size_t)splits, K = (size_t)f->K, B = (size_t)f->max_batch;
  a->pbar = calloc(S * K, sizeof(double));
  a->plogp = calloc(S, sizeof(double));
  a->count = calloc(S, sizeof(double));
  a->feat = malloc(B * (size_t)f->F * sizeof(float));
  a->logits = malloc(B * K * sizeof(float));
  a->probs = malloc(B * K * sizeof(double));
  if (!a->pbar || !a->plogp || !a->count || !a->feat || !a->logits || !a->probs) {
    feature_accum_free(a);
    return vdmc_fail(VDMC_ERR_MEMORY, "features: out of memory for the accumulators");
  }
  return VDMC_OK;
}

int feature_accum_keep(FeatureAccum *a, long long n) {
  if (n < 0 || n > a->n) return vdmc_fail(VDMC_ERR_INTERNAL, "features: keeping %lld of %lld rows", n, a->n);
  if ((double)n * a->net->F > INT_MAX)  // one MPI_Allreduce moves them
    return vdmc_fail(VDMC_ERR_INPUT, "features: %lld x %d kept features exceed one MPI message; use fewer samples",
                     n, a->net->F);
  free(a->kept);
  a->kept = n ? calloc((size_t)n * (size_t)a->net->F, sizeof(float)) : NULL;
  a->keep_n = a->kept ? n : 0;
  if (n && !a->kept)
    return vdmc_fail(VDMC_ERR_MEMORY, "features: out of memory keeping %lld x %d features", n, a->net->F);
  return VDMC_OK;
}

// The split of global index i: the s with floor(s N / S) <= i < floor((s+1) N / S).
static int split_of(long long i, long long n, int S) { return (int)(((i + 1) * S - 1) / n); }

// The FID accumulator starts at the first feature row this rank sees (its shift);
// fid_accum_reduce moves every rank to one common shift.
static int start_accum(FeatureAccum *a, const float *row) {
  int F = a->net->F;
  double *shift = malloc((size_t)F * sizeof *shift);
  if (!shift) return vdmc_fail(VDMC_ERR_MEMORY, "features: out of memory");
  for (int j = 0; j < F; j++) shift[j] = row ? row[j] : 0;
  int st = fid_accum_init(&a->acc, (size_t)F, shift);
  free(shift);
  a->ready = !st;
  return st;
}

// One forward batch b <= max_batch.
static int add_batch(FeatureAccum *a, const uint8_t *images, const int32_t *labels, long long first, int b, int H,
                     int W, int C) {
  FeatureNet *f = a->net;
  int K = f->K, st = features_forward(f, images, b, H, W, C, a->feat, a->logits);
  if (!st && !a->ready && b > 0) st = start_accum(a, a->feat);
  if (st) return st;
  fid_accum_add(&a->acc, a->feat, (size_t)b);
  classifier_softmax(a->logits, b, K, a->probs);
  for (int i = 0; i < b; i++) {
    long long g = first + i;
    if (g < 0 || g >= a->n)
      return vdmc_fail(VDMC_ERR_INTERNAL, "features: example index %lld outside [0, %lld)", g, a->n);
    int s = split_of(g, a->n, a->splits), best = 0;
    const double *p = a->probs + (size_t)i * K;
    double *pbar = a->pbar + (size_t)s * K;
    for (int k = 0; k < K; k++) {
      pbar[k] += p[k];
      if (p[k] > 0) a->plogp[s] += p[k] * log(p[k]);
      if (p[k] > p[best]) best = k;
    }
    a->count[s] += 1;
    if (g < a->keep_n) memcpy(a->kept + (size_t)g * f->F, a->feat + (size_t)i * f->F, (size_t)f->F * sizeof(float));
    if (labels) {
      a->correct += best == labels[i];
      a->labelled += 1;
    }
  }
  return VDMC_OK;
}

int feature_accum_add(FeatureAccum *a, const uint8_t *images, const int32_t *labels, long long first, int B, int H,
                      int W, int C) {
  size_t ex = (size_t)H * W * C;
  int mb = a->net->max_batch;
  for (int at = 0; at < B && !a->status; at += mb) {
    int b = B - at < mb ? B - at : mb;
    a->status = add_batch(a, images + (size_t)at * ex, labels ? labels + at : NULL, first + at, b, H, W, C);
  }
  return a->status;
}

// IS_s = exp(plogp_s / n_s - sum_y pbar_s log pbar_s), pbar_s = the split's mean p(y|x).
static double split_score(const double *pbar, const double *plogp, const double *count, int s, int K) {
  double n = count[s], cross = 0;
  for (int k = 0; k < K; k++) {
    double q = pbar[(size_t)s * K + k] / n;
    if (q > 0) cross += q * log(q);
  }
  return exp(plogp[s] / n - cross);
}

void inception_score_splits(const double *pbar, const double *plogp, const double *count, int S, int K,
                            double *mean, double *std) {
  double sum = 0, dev = 0;
  for (int s = 0; s < S; s++) sum += split_score(pbar, plogp, count, s, K);
  *mean = sum / S;
  for (int s = 0; s < S; s++) {  // two passes: no cancellation when std << mean
    double d = split_score(pbar, plogp, count, s, K) - *mean;
    dev += d * d;
  }
  *std = sqrt(dev / S);  // population std (ddof 0), as the reference implementation
}

int feature_accum_finish(FeatureAccum *a, MPI_Comm comm, FeatureSummary *out) {
  memset(out, 0, sizeof *out);
  int st = a->status;
  if (!st && !a->ready) st = start_accum(a, NULL);  // no examples on this rank
  if ((st = mpi_agree(comm, st))) return st;
  size_t S = (size_t)a->splits, K = (size_t)a->net->K;
  double extra[2] = {a->correct, a->labelled};
  st = fid_accum_reduce(&a->acc, comm);
  if (!st) st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, a->pbar, (int)(S * K), MPI_DOUBLE, MPI_SUM, comm),
                           "features: MPI_Allreduce of the class probabilities");
  if (!st) st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, a->plogp, (int)S, MPI_DOUBLE, MPI_SUM, comm),
                           "features: MPI_Allreduce of the class entropies");
  if (!st) st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, a->count, (int)S, MPI_DOUBLE, MPI_SUM, comm),
                           "features: MPI_Allreduce of the split counts");
  if (!st) st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, extra, 2, MPI_DOUBLE, MPI_SUM, comm),
                           "features: MPI_Allreduce of the accuracy counts");
  // each kept row was filled by exactly one rank and is zero elsewhere: the sum is exact
  if (!st && a->keep_n)
    st = MPI_STATUS(MPI_Allreduce(MPI_IN_PLACE, a->kept, (int)((size_t)a->keep_n * a->net->F), MPI_FLOAT, MPI_SUM,
                                  comm), "features: MPI_Allreduce of the kept features");
  double total = 0;
  for (size_t s = 0; s < S; s++) total += a->count[s];
  if (!st && total != (double)a->n)
    st = vdmc_fail(VDMC_ERR_INTERNAL, "features: %.0f examples added, expected %lld", total, a->n);
  if (!st) st = fid_accum_finish(&a->acc, &out->stats);
  if (st) return st;
  inception_score_splits(a->pbar, a->plogp, a->count, a->splits, (int)K, &out->is_mean, &out->is_std);
  out->is_splits = a->splits;
  out->accuracy = extra[1] > 0 ? extra[0] / extra[1] : -1;
  out->stats.features_crc32 = a->net->crc;
  // NaN weights of the feature network (or NaN images) would give a NaN FID or
  // inception score, or write NaN statistics that a later eval reads back.
  size_t d = out->stats.d;
  if (finite_first_bad_double(out->stats.mu, d) < d || finite_first_bad_double(out->stats.sigma, d * d) < d * d ||
      !isfinite(out->is_mean) || !isfinite(out->is_std))
    return vdmc_fail(VDMC_ERR_NUMERIC, "features of %lld examples from %s are not finite (NaN or infinite "
                     "weights in the feature network, or non-finite images)", (long long)a->n, a->net->path);
  out->stats.features = a->kept;  // handed over
  out->stats.n_features = a->keep_n;
  a->kept = NULL;
  a->keep_n = 0;
  return VDMC_OK;
}

void feature_accum_free(FeatureAccum *a) {
  fid_accum_free(&a->acc);
  free(a->pbar);
  free(a->plogp);
  free(a->count);
  free(a->feat);
  free(a->logits);
  free(a->probs);
  free(a->kept);
  memset(a, 0, sizeof *a);
}
