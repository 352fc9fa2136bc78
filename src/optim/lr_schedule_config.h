// The optim section of a resolved config (src/config) as the training run's
// LrSchedule: warmup in images, optim.lr_decay, its end at the run's last step and
// optim.lr_min. Errors name the config location of the key.
#ifndef VDMC_OPTIM_LR_SCHEDULE_CONFIG_H
#define VDMC_OPTIM_LR_SCHEDULE_CONFIG_H

#include "config/config.h"
#include "optim/lr_schedule.h"

// Fills s and checks it (lr_schedule_check). optim.lr_min above optim.lr is refused
// here, the one check of that bound: "FILE:LINE: optim.lr_min X must be at most
// optim.lr Y". A cosine decay whose run ends inside the warmup has no decay phase:
// s->decay is LR_DECAY_NONE and s->decay_skipped is 1.
int lr_schedule_from_config(LrSchedule *s, const ConfigSet *cs);

#endif
