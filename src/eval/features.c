// Feature statistics and Inception Score of a dataset under the feature classifier.
#include "eval/features.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/pixels.h"
#include "core/status.h"
#include "io/dataset.h"

int features_load(FeatureNet *f, const char *path) {
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", path);
  return classifier_load(path, &f->net, FEATURES_BATCH, &f->params, &f->crc);
}

void features_free(FeatureNet *f) {
  vdmc_free_floats(f->params);
  classifier_free(&f->net);
  memset(f, 0, sizeof *f);
}

typedef struct {
  FidAccum acc;
  double *pbar;       // (K) sum over examples of p(y|x)
  double *probs;      // (FEATURES_BATCH, K)
  double plogp;       // sum over examples of sum_y p log p
  double correct;
} Summing;

// The training reader's pixel convention (core/pixels.h): bin centres (2k+1)/256 - 1.
static void to_float(float *x, const uint8_t *raw, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = pixel_to_unit(raw[i]);
}

// Forward of examples [first, first + count) of ds; feeds the accumulators (acc may be
// skipped with s == NULL: then only feat of the last batch is wanted).
static int run_range(FeatureNet *f, Dataset *ds, size_t first, size_t count, uint8_t *raw,
                     int32_t *labels, float *x, Summing *s) {
  const ClassifierConfig *c = &f->net.cfg;
  size_t ex = (size_t)c->H * c->W * c->C;
  int K = c->K;
  for (size_t at = first; at < first + count; at += FEATURES_BATCH) {
    int b = (int)(first + count - at < FEATURES_BATCH ? first + count - at : FEATURES_BATCH);
    int st = dataset_read_range(ds, at, (size_t)b, raw, labels);
    if (!st) to_float(x, raw, (size_t)b * ex);
    if (!st) st = classifier_forward(&f->net, f->params, x, b);
    if (st) return st;
    if (!s) continue;
    fid_accum_add(&s->acc, f->net.feat, (size_t)b);
    classifier_softmax(f->net.logits, b, K, s->probs);
    for (int i = 0; i < b; i++) {
      const double *p = s->probs + (size_t)i * K;
      int best = 0;
      for (int k = 0; k < K; k++) {
        s->pbar[k] += p[k];
        if (p[k] > 0) s->plogp += p[k] * log(p[k]);
        if (p[k] > p[best]) best = k;
      }
      s->correct += best == labels[i];
    }
  }
  return VDMC_OK;
}

static int summarize_open(FeatureNet *f, Dataset *ds, const char *path, MPI_Comm comm,
                          FeatureSummary *out) {
  const ClassifierConfig *c = &f->net.cfg;
  int rank, P;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &P);
  if (ds->h != (size_t)c->H || ds->w != (size_t)c->W || ds->c != (size_t)c->C)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: images are %zux%zux%zu but the feature network %s takes %dx%dx%d",
                     path, ds->h, ds->w, ds->c, f->path, c->H, c->W, c->C);
  size_t ex = (size_t)c->H * c->W * c->C, K = (size_t)c->K;
  uint8_t *raw = malloc(FEATURES_BATCH * ex);
  int32_t *labels = malloc(FEATURES_BATCH * sizeof *labels);
  float *x = malloc(FEATURES_BATCH * ex * sizeof *x);
  double *shift = malloc((size_t)f->net.F * sizeof *shift);
  Summing s = {0};
  s.pbar = calloc(K, sizeof(double));
  s.probs = malloc(FEATURES_BATCH * K * sizeof(double));
  int st = (!raw || !labels || !x || !shift || !s.pbar || !s.probs)
               ? vdmc_fail(VDMC_ERR_MEMORY, "features: out of memory")
               : VDMC_OK;
  // shift = features of example 0 (same on every rank, no communication)
  if (!st) st = run_range(f, ds, 0, 1, raw, labels, x, NULL);
  for (int j = 0; !st && j < f->net.F; j++) shift[j] = f->net.feat[j];
  if (!st) st = fid_accum_init(&s.acc, (size_t)f->net.F, shift);
  size_t first = ds->n * (size_t)rank / (size_t)P, last = ds->n * (size_t)(rank + 1) / (size_t)P;
  if (!st) st = run_range(f, ds, first, last - first, raw, labels, x, &s);
  // agree on failure before the collectives
  int any = st != VDMC_OK;
  MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, comm);
  if (any && !st) st = vdmc_fail(VDMC_ERR_IO, "features: another rank failed reading %s", path);
  if (!st) st = fid_accum_reduce(&s.acc, comm);
  double extra[2] = {s.plogp, s.correct};
  if (!st && (MPI_Allreduce(MPI_IN_PLACE, s.pbar, (int)K, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS ||
              MPI_Allreduce(MPI_IN_PLACE, extra, 2, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS))
    st = vdmc_fail(VDMC_ERR_MPI, "features: MPI_Allreduce of the class probabilities failed");
  if (!st) st = fid_accum_finish(&s.acc, &out->stats);
  if (!st) {
    double n = (double)ds->n, cross = 0;
    for (size_t k = 0; k < K; k++)
      if (s.pbar[k] > 0) cross += s.pbar[k] / n * log(s.pbar[k] / n);
    out->inception_score = exp(extra[0] / n - cross);
    out->accuracy = extra[1] / n;
    out->stats.features_crc32 = f->crc;
    snprintf(out->stats.source, sizeof out->stats.source, "%s", path);
  }
  fid_accum_free(&s.acc);
  free(s.pbar);
  free(s.probs);
  free(raw);
  free(labels);
  free(x);
  free(shift);
  return st;
}

int features_summarize(FeatureNet *f, const char *dataset_path, MPI_Comm comm, FeatureSummary *out) {
  memset(out, 0, sizeof *out);
  Dataset ds;
  int st = dataset_open(&ds, dataset_path, comm);
  if (st) return st;
  st = summarize_open(f, &ds, dataset_path, comm, out);
  dataset_close(&ds);
  return st;
}
