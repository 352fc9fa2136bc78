#include "diffusion/weighting.h"

#include <math.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/names.h"
#include "diffusion/stable_math.h"

static const char *const kNames[WEIGHTING_KIND_COUNT] = {
    [WEIGHTING_ELBO] = "elbo",       [WEIGHTING_IDDPM] = "iddpm", [WEIGHTING_EDM] = "edm",
    [WEIGHTING_EDM_MONOTONIC] = "edm-monotonic", [WEIGHTING_V] = "v-prediction", [WEIGHTING_FM_OT] = "fm-ot",
    [WEIGHTING_INDI] = "indi",       [WEIGHTING_P2] = "p2",       [WEIGHTING_MIN_SNR] = "min-snr",
    [WEIGHTING_SIGMOID] = "sigmoid"};
// non-increasing in lambda (Table 1's check marks, Sec. 5.1)
static const int kMonotonic[WEIGHTING_KIND_COUNT] = {
    [WEIGHTING_ELBO] = 1, [WEIGHTING_EDM_MONOTONIC] = 1, [WEIGHTING_V] = 1,
    [WEIGHTING_FM_OT] = 1, [WEIGHTING_INDI] = 1,         [WEIGHTING_SIGMOID] = 1};

void weighting_defaults(Weighting *w, WeightingKind kind) {
  memset(w, 0, sizeof *w);
  w->kind = kind;
  w->bias = 2;
  w->p2_k = 1;
  w->p2_gamma = 1;
  w->min_snr_gamma = 5;
  w->edm_mean = 2.4;
  w->edm_std = 2.4;
  w->sigma_data = 0.5;
}

// log of the EDM weighting: log N(l; m, sd) + log(e^-l + sigma_data^2)
static double edm_log(const Weighting *w, double l) {
  return dm_normal_log_pdf(l, w->edm_mean, w->edm_std) + dm_log_add_exp(-l, 2 * log(w->sigma_data));
}
static double edm_dlog(const Weighting *w, double l) {
  return -(l - w->edm_mean) / (w->edm_std * w->edm_std) - dm_sigmoid(-l - 2 * log(w->sigma_data));
}

int weighting_prepare(Weighting *w) {
  if ((unsigned)w->kind >= WEIGHTING_KIND_COUNT)
    return vdmc_fail(VDMC_ERR_INTERNAL, "weighting: bad kind %d", (int)w->kind);
  const char *name = kNames[w->kind];
  if (!isfinite(w->shift) || !isfinite(w->bias))
    return vdmc_fail(VDMC_ERR_INPUT, "weighting %s: shift/bias must be finite", name);
  if (w->kind == WEIGHTING_P2 && !(w->p2_k >= 0 && w->p2_gamma >= 0))
    return vdmc_fail(VDMC_ERR_INPUT, "weighting p2: need k >= 0 and gamma >= 0 (got %g, %g)", w->p2_k, w->p2_gamma);
  if (w->kind == WEIGHTING_MIN_SNR && !(w->min_snr_gamma > 0))
    return vdmc_fail(VDMC_ERR_INPUT, "weighting min-snr: gamma must be > 0, got %g", w->min_snr_gamma);
  if ((w->kind == WEIGHTING_EDM || w->kind == WEIGHTING_EDM_MONOTONIC) &&
      !(w->edm_std > 0 && w->sigma_data > 0))
    return vdmc_fail(VDMC_ERR_INPUT, "weighting %s: need edm std > 0 and sigma_data > 0", name);
  // The EDM log-weighting's derivative is +inf-ward positive for l -> -inf and
  // negative for l -> +inf; bisect for its root (the peak, ~ -3.2 for the defaults).
  double lo = -1e3, hi = 1e3;
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (lo + hi);
    if (edm_dlog(w, mid) > 0) lo = mid; else hi = mid;
  }
  w->edm_peak = 0.5 * (lo + hi);
  return VDMC_OK;
}

static double log_weight(const Weighting *w, double l) {
  switch (w->kind) {
    case WEIGHTING_ELBO: return 0;
    case WEIGHTING_IDDPM: return dm_log_sech(0.5 * l);
    case WEIGHTING_EDM: return edm_log(w, l);
    case WEIGHTING_EDM_MONOTONIC: return edm_log(w, l < w->edm_peak ? w->edm_peak : l);
    case WEIGHTING_V:
    case WEIGHTING_FM_OT: return -0.5 * l;
    case WEIGHTING_INDI: return -l + 2 * dm_log_sech(0.25 * l);
    case WEIGHTING_P2: return dm_log_sech(0.5 * l) - w->p2_gamma * dm_log_add_exp(log(w->p2_k), l);
    case WEIGHTING_MIN_SNR: return dm_log_sech(0.5 * l) + fmin(0.0, log(w->min_snr_gamma) - l);
    case WEIGHTING_SIGMOID: return dm_log_sigmoid(-l + w->bias);
    default: return NAN;
  }
}

double weighting_eval(const Weighting *w, double lambda) { return exp(log_weight(w, lambda - 2 * w->shift)); }

double weighting_dlog(const Weighting *w, double lambda) {
  double l = lambda - 2 * w->shift;
  switch (w->kind) {
    case WEIGHTING_ELBO: return 0;
    case WEIGHTING_IDDPM: return -0.5 * tanh(0.5 * l);
    case WEIGHTING_EDM: return edm_dlog(w, l);
    case WEIGHTING_EDM_MONOTONIC: return l < w->edm_peak ? 0 : edm_dlog(w, l);
    case WEIGHTING_V:
    case WEIGHTING_FM_OT: return -0.5;
    case WEIGHTING_INDI: return -1 - 0.5 * tanh(0.25 * l);
    case WEIGHTING_P2: return -0.5 * tanh(0.5 * l) - w->p2_gamma * dm_sigmoid(l - log(w->p2_k));
    case WEIGHTING_MIN_SNR: return -0.5 * tanh(0.5 * l) - (l > log(w->min_snr_gamma) ? 1 : 0);
    case WEIGHTING_SIGMOID: return -dm_sigmoid(l - w->bias);
    default: return NAN;
  }
}

int weighting_is_monotonic(WeightingKind kind) {
  return (unsigned)kind < WEIGHTING_KIND_COUNT ? kMonotonic[kind] : 0;
}

int weighting_kind_parse(const char *name, WeightingKind *out) {
  int k = 0, rc = diffusion_name_parse(name, kNames, WEIGHTING_KIND_COUNT, "weighting", NULL, &k);
  if (!rc) *out = (WeightingKind)k;
  return rc;
}

const char *weighting_kind_name(WeightingKind kind) {
  return diffusion_name_of(kNames, WEIGHTING_KIND_COUNT, (int)kind);
}
