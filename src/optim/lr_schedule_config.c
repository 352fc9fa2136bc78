#include "optim/lr_schedule_config.h"

#include <string.h>

#include "core/status.h"

int lr_schedule_from_config(LrSchedule *s, const ConfigSet *cs) {
  const Config *c = &cs->values;
  *s = (LrSchedule){.base_lr = c->optim.lr, .warmup = c->optim.warmup_images, .in_images = 1};
  if (strcmp(c->optim.lr_decay, "cosine") == 0) {
    if (!(c->optim.lr_min <= c->optim.lr))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: optim.lr_min %g must be at most optim.lr %g",
                       config_where(cs, "optim.lr_min"), c->optim.lr_min, c->optim.lr);
    // The decay ends at the run's last step, so the schedule is a function of
    // optim.steps: resuming with the same steps is exact, extending a run re-times it.
    s->decay = LR_DECAY_COSINE;
    s->decay_end = (double)c->optim.steps * (double)c->optim.batch_size;
    s->min_lr = c->optim.lr_min;
    // a run that ends inside the warmup (a smoke test's few steps) has no decay phase:
    // the warmup runs as it would, and vdmc train says so in a start line
    if (!(s->decay_end > s->warmup)) {
      s->decay = LR_DECAY_NONE;
      s->decay_skipped = 1;
    }
  }
  return lr_schedule_check(s);
}
