// A run's objective: the diffusion spec, the training schedule and weighting it
// builds, and the schedule's state, the adaptive schedule's bins or the learned
// schedule's parameters (with their Adam moments). The one place that maps this
// state to and from checkpoint extras ("adaptive_bins", LEARNED_CHECKPOINT_EXTRA), so
// train, sample, eval and `vdmc schedule` read and write it alike (docs/design.md,
// Layers: the run layer).
#ifndef VDMC_RUN_OBJECTIVE_H
#define VDMC_RUN_OBJECTIVE_H

#include <stddef.h>

#include "config/config.h"
#include "diffusion/adaptive.h"
#include "diffusion/objective_spec.h"
#include "diffusion/schedule_learned.h"
#include "io/checkpoint.h"

#define OBJECTIVE_ADAPTIVE_EXTRA "adaptive_bins"

typedef struct {
  DiffusionSpec spec;
  Schedule schedule;          // schedule.adaptive / .learned point into this struct: never copy it
  Weighting weighting;
  int use_adaptive;           // schedule.kind == SCHEDULE_ADAPTIVE: adaptive holds the bins
  AdaptiveSchedule adaptive;
  int use_learned;            // schedule.kind == SCHEDULE_LEARNED: learned holds its state
  LearnedState learned;
} Objective;

// The objective of a resolved config's diffusion section (diffusion_spec_from_config),
// in its initial state. Errors name the config location of the key.
int objective_from_config(Objective *o, const ConfigSet *cs);
// The objective of a spec (vdmc schedule: a config's spec with flags on top);
// adaptive_decay: the adaptive bins' EMA decay (diffusion.adaptive_decay).
int objective_build(Objective *o, const DiffusionSpec *spec, double adaptive_decay);
void objective_free(Objective *o);

// Registers the objective's checkpoint extras in st (after the arrays), packing the
// learned schedule's state first, so one call serves saving and loading.
int objective_add_extras(Objective *o, CheckpointState *st);
// After checkpoint_load filled the extras objective_add_extras registered: the bins
// and parameters take effect (the schedule is prepared again).
int objective_extras_loaded(Objective *o);
// The same from one extra read serially (checkpoint_peek: `vdmc schedule`): name and
// its n values; an extra the objective does not keep is ignored, one of the wrong
// size is an error naming `file`. Call objective_extras_loaded afterwards.
int objective_take_extra(Objective *o, const char *name, const double *values, size_t n, const char *file);

#endif
