// Learning rate per step: linear warmup (in steps or in images), then constant
// or cosine decay to min_lr. Progress x counts the current step: x = step for
// step-based schedules, x = step * batch images for image-based ones (step >= 1),
// so the first step already gets lr > 0.
//   warmup:  lr = base_lr * min(1, x / warmup)          (warmup = 0: no warmup)
//   cosine:  for warmup <= x <= decay_end,
//            lr = min_lr + (base_lr - min_lr) * (1 + cos(pi (x - warmup)/(decay_end - warmup)))/2
//            and min_lr after decay_end.
#ifndef VDMC_OPTIM_LR_SCHEDULE_H
#define VDMC_OPTIM_LR_SCHEDULE_H

typedef enum { LR_DECAY_NONE = 0, LR_DECAY_COSINE = 1 } LrDecay;

typedef struct {
  double base_lr;
  double warmup;       // warmup length, in steps or images (see in_images)
  int in_images;       // 0: warmup/decay_end in steps, 1: in images seen
  LrDecay decay;
  double decay_end;    // cosine: progress where lr reaches min_lr (> warmup)
  double min_lr;       // cosine: final lr (0 <= min_lr <= base_lr)
  int decay_skipped;   // 1: a decay was asked for but decay_end <= warmup (the run ends inside
                       // its warmup): decay is LR_DECAY_NONE, no decay phase
} LrSchedule;

// Checks the fields; VDMC_ERR_INPUT with a message naming the bad field. min_lr <=
// base_lr is checked where a schedule is made from a config, with the config's file
// and line (optim/lr_schedule_config.h); the classifier's fixed schedule has 0.02 base_lr.
int lr_schedule_check(const LrSchedule *s);
// lr for step (counted from 1) with `batch` images per global step.
double lr_schedule_at(const LrSchedule *s, long step, long batch);

#endif
