// FID of a sample file against reference statistics (fid_evaluate.h).
#include "eval/fid_evaluate.h"

#include <string.h>

#include "core/status.h"
#include "eval/features.h"
#include "eval/fid_stats.h"

static int check_reference(const FidStats *ref, const char *ref_path, const FeatureNet *f) {
  if (ref->d != (size_t)f->net.F)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "%s: reference statistics have feature dimension %zu but the feature network %s "
                     "gives %d; recompute them with `vdmc fid-stats DATA --features %s`",
                     ref_path, ref->d, f->path, f->net.F, f->path);
  if (ref->features_crc32 != f->crc)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "%s: reference statistics were computed with another feature network (weights "
                     "CRC32 %08x, %s has %08x); recompute them with `vdmc fid-stats DATA --features %s`",
                     ref_path, (unsigned)ref->features_crc32, f->path, (unsigned)f->crc, f->path);
  return VDMC_OK;
}

int fid_evaluate(const char *samples_h5, const char *ref_stats_h5, const char *features_h5,
                 MPI_Comm comm, FidResult *out) {
  memset(out, 0, sizeof *out);
  FidStats ref;
  FeatureNet f;
  FeatureSummary s;
  memset(&f, 0, sizeof f);
  memset(&s, 0, sizeof s);
  int st = fid_stats_read(ref_stats_h5, &ref);
  if (st) return st;
  if (!(st = features_load(&f, features_h5)) && !(st = check_reference(&ref, ref_stats_h5, &f)) &&
      !(st = features_summarize(&f, samples_h5, comm, &s)) &&
      !(st = fid_distance(s.stats.mu, s.stats.sigma, ref.mu, ref.sigma, ref.d, comm, &out->parts))) {
    out->fid = out->parts.fd;
    out->inception_score = s.inception_score;
    out->n_samples = s.stats.n;
    out->n_reference = ref.n;
    out->d = ref.d;
  }
  fid_stats_free(&s.stats);
  features_free(&f);
  fid_stats_free(&ref);
  return st;
}
