#include "optim/lr_schedule.h"

#include <math.h>

#include "core/status.h"

int lr_schedule_check(const LrSchedule *s) {
  if (!(s->base_lr > 0 && isfinite(s->base_lr)))
    return vdmc_fail(VDMC_ERR_INPUT, "lr schedule: base lr %g must be > 0", s->base_lr);
  if (!(s->warmup >= 0 && isfinite(s->warmup)))
    return vdmc_fail(VDMC_ERR_INPUT, "lr schedule: warmup %g must be >= 0", s->warmup);
  if (s->decay == LR_DECAY_COSINE) {
    if (!(s->decay_end > s->warmup && isfinite(s->decay_end)))
      return vdmc_fail(VDMC_ERR_INPUT, "lr schedule: cosine decay end %g must be > warmup %g",
                       s->decay_end, s->warmup);
    if (!(s->min_lr >= 0 && isfinite(s->min_lr)))
      return vdmc_fail(VDMC_ERR_INPUT, "lr schedule: min lr %g must be >= 0", s->min_lr);
  } else if (s->decay != LR_DECAY_NONE) {
    return vdmc_fail(VDMC_ERR_INPUT, "lr schedule: unknown decay kind %d", (int)s->decay);
  }
  return VDMC_OK;
}

double lr_schedule_at(const LrSchedule *s, long step, long batch) {
  double x = s->in_images ? (double)step * (double)batch : (double)step;
  if (x < s->warmup) return s->base_lr * x / s->warmup;
  if (s->decay != LR_DECAY_COSINE) return s->base_lr;
  if (x >= s->decay_end) return s->min_lr;
  double u = (x - s->warmup) / (s->decay_end - s->warmup);
  return s->min_lr + (s->base_lr - s->min_lr) * 0.5 * (1 + cos(3.14159265358979323846 * u));
}
