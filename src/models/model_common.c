#include "models/model_common.h"

#include <math.h>

#include "core/status.h"

int model_check_at_least(int v, int lo, const char *key) {
  if (v < lo) return vdmc_fail(VDMC_ERR_INPUT, "model.%s: must be >= %d, got %d", key, lo, v);
  return VDMC_OK;
}

int model_check_probability(float p, const char *key) {
  if (!(p >= 0 && p < 1)) return vdmc_fail(VDMC_ERR_INPUT, "model.%s: must be in [0, 1), got %g", key, p);
  return VDMC_OK;
}

static int fourier_validate(int enabled, int n_min, int n_max) {
  if (enabled && (n_min > n_max || n_min < -8 || n_max > 12))
    return vdmc_fail(VDMC_ERR_INPUT, "model.fourier_features: frequencies 2^%d..2^%d (need n_min <= n_max "
                     "within 2^-8..2^12)", n_min, n_max);
  return VDMC_OK;
}

int model_common_validate(const ModelCommon *m) {
  int st = model_check_at_least(m->in_channels, 1, "in_channels");
  if (!st) st = model_check_at_least(m->out_channels, 1, "out_channels");
  if (!st) st = model_check_at_least(m->resolution, 1, "resolution");
  if (!st) st = model_check_at_least(m->norm_groups, 1, "norm_groups");
  if (!st) st = fourier_validate(m->fourier_features, m->fourier_n_min, m->fourier_n_max);
  if (!st) st = model_check_probability(m->dropout, "dropout");
  if (!st) st = model_check_at_least(m->num_classes, 0, "num_classes");
  if (st) return st;
  if (!(m->attention_probs >= 0 && m->attention_probs < ATTN_PROBS_COUNT))
    return vdmc_fail(VDMC_ERR_INPUT, "model.attention_probs: must be saved or recomputed, got %d",
                     (int)m->attention_probs);
  if (!(m->lambda_scale > 0) || !isfinite(m->lambda_scale))
    return vdmc_fail(VDMC_ERR_INPUT, "model.lambda_scale: must be finite and > 0, got %g", m->lambda_scale);
  return VDMC_OK;
}
