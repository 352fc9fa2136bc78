#include "optim/ema.h"

#include <math.h>

#include "core/status.h"

int ema_check(const EmaConfig *c) {
  if (c->mode == EMA_POWER) {
    if (!(c->beta >= 0 && c->beta < 1))
      return vdmc_fail(VDMC_ERR_INPUT, "ema: beta %g must be in [0, 1)", c->beta);
  } else if (c->mode == EMA_HALFLIFE) {
    if (!(c->halflife_kimg > 0 && isfinite(c->halflife_kimg)))
      return vdmc_fail(VDMC_ERR_INPUT, "ema: halflife_kimg %g must be > 0", c->halflife_kimg);
    if (!(c->rampup_ratio >= 0 && isfinite(c->rampup_ratio)))
      return vdmc_fail(VDMC_ERR_INPUT, "ema: rampup_ratio %g must be >= 0", c->rampup_ratio);
  } else {
    return vdmc_fail(VDMC_ERR_INPUT, "ema: unknown mode %d", (int)c->mode);
  }
  return VDMC_OK;
}

double ema_decay(const EmaConfig *c, long updates_before, double images_before, double batch) {
  if (c->mode == EMA_POWER) {
    double n = (double)updates_before, warm = (1 + n) / (10 + n);
    return warm < c->beta ? warm : c->beta;
  }
  double h = c->halflife_kimg * 1000;
  if (c->rampup_ratio > 0 && c->rampup_ratio * images_before < h) h = c->rampup_ratio * images_before;
  return pow(0.5, batch / (h > 1e-8 ? h : 1e-8));
}

void ema_update(float *ema, const float *param, size_t n, double decay) {
  float d = (float)decay;
  for (size_t i = 0; i < n; i++) ema[i] = param[i] + d * (ema[i] - param[i]);
}
