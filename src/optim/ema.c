#include "optim/ema.h"

#include <math.h>

#include "core/status.h"
#include "ops/parallel.h"

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

typedef struct {
  float *ema;
  const float *param;
  float d;
} EmaArgs;

static void ema_part(void *ctx, size_t lo, size_t hi) {
  const EmaArgs *a = ctx;
  float *ema = a->ema;  // locals: see adam.c's adam_part
  const float *param = a->param, d = a->d;
  for (size_t i = lo; i < hi; i++) ema[i] = param[i] + d * (ema[i] - param[i]);
}

// Elementwise over the pool's threads: the same bits on any thread count.
void ema_update(float *ema, const float *param, size_t n, double decay) {
  EmaArgs a = {ema, param, (float)decay};
  par_for(n, 16, 2 * n, ema_part, &a);
}
