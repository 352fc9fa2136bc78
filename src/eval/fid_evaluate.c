// The reference side of FID, KID and precision/recall, and the result of a summary (fid_evaluate.h).
#include "eval/fid_evaluate.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "eval/fid_stats.h"

static int check_reference(const FidStats *ref, const char *ref_path, const FeatureNet *f) {
  if (ref->d != (size_t)f->F)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "%s: reference statistics have feature dimension %zu but the feature network %s "
                     "gives %d; recompute them with `vdmc fid-stats DATA --features %s`",
                     ref_path, ref->d, f->path, f->F, f->path);
  if (ref->features_crc32 != f->crc)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "%s: reference statistics were computed with another feature network (weights "
                     "CRC32 %08x, %s has %08x); recompute them with `vdmc fid-stats DATA --features %s`",
                     ref_path, (unsigned)ref->features_crc32, f->path, (unsigned)f->crc, f->path);
  return VDMC_OK;
}

int fid_setup_open(FidSetup *s, const char *ref_stats_h5, const char *features_h5) {
  memset(s, 0, sizeof *s);
  snprintf(s->ref_path, sizeof s->ref_path, "%s", ref_stats_h5);
  int st = fid_stats_read(ref_stats_h5, &s->ref);
  if (!st) st = features_load(&s->net, features_h5, FEATURES_BATCH);
  if (!st) st = check_reference(&s->ref, ref_stats_h5, &s->net);
  if (st) fid_setup_free(s);
  return st;
}

void fid_setup_free(FidSetup *s) {
  features_free(&s->net);
  fid_stats_free(&s->ref);
}

long long fid_setup_keep(const FidSetup *s, long long n) { return s->kid || s->pr ? n : 0; }

// The seed of the KID subsets: fixed, so a result is reproducible.
#define KID_SEED 20261206
#define KID_SUBSETS 100
#define PR_K 3

static int extra_metrics(const FidSetup *s, const FeatureSummary *sum, MPI_Comm comm, FidResult *out) {
  const FidStats *ref = &s->ref, *gen = &sum->stats;
  if (!ref->features)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: holds no reference features, which KID and precision/recall need; "
                     "recompute it with `vdmc fid-stats DATA --features %s --keep-features 10000`", s->ref_path,
                     s->net.path);
  if (!gen->features) return vdmc_fail(VDMC_ERR_INTERNAL, "KID/precision-recall: the samples' features were not kept");
  size_t nr = (size_t)ref->n_features, ng = (size_t)gen->n_features;
  int st = VDMC_OK;
  if (s->kid && !(st = kid_compute(gen->features, ng, ref->features, nr, ref->d, KID_SUBSETS,
                                   kid_default_subset(ng, nr), KID_SEED, comm, &out->kid)))
    out->has_kid = 1;
  if (!st && s->pr && !(st = precision_recall(ref->features, nr, gen->features, ng, ref->d, PR_K, comm, &out->pr)))
    out->has_pr = 1;
  return st;
}

int fid_setup_result(const FidSetup *s, const FeatureSummary *sum, MPI_Comm comm, FidResult *out) {
  memset(out, 0, sizeof *out);
  const FidStats *ref = &s->ref;
  int st = fid_distance(sum->stats.mu, sum->stats.sigma, ref->mu, ref->sigma, ref->d, comm, &out->parts);
  if (!st && (s->kid || s->pr)) st = extra_metrics(s, sum, comm, out);
  if (st) return st;
  out->fid = out->parts.fd;
  out->is_mean = sum->is_mean;
  out->is_std = sum->is_std;
  out->is_splits = sum->is_splits;
  out->accuracy = sum->accuracy;
  out->n_samples = sum->stats.n;
  out->n_reference = ref->n;
  out->d = ref->d;
  return VDMC_OK;
}
