// The trainer's power-function EMAs for post-hoc EMA (optim.ema_stds,
// run.ema_snapshot_images; docs/training.md "Post-hoc EMA"): set-up from the config,
// their arrays in the regular checkpoint (so resume is exact at any P), the update
// after every step and the snapshots in RUN/ema/ (train/ema_snapshot.h).
#ifndef VDMC_TRAIN_TRAINER_POWER_EMA_H
#define VDMC_TRAIN_TRAINER_POWER_EMA_H

#include "io/checkpoint.h"
#include "train/trainer.h"

// Allocates the profiles of optim.ema_stds (none when empty) and copies the params in.
int trainer_power_ema_init(Trainer *t);
// Adds each profile as array ema_power_K ([off, off + cnt): a rank's write part, or
// all of it for a load, since every rank updates them whole) and the stds
// as extra ema_power_stds.
void trainer_power_ema_describe(Trainer *t, CheckpointState *st, size_t off, size_t cnt);
// After a load: the checkpoint's stds must be the config's (`path` names the file).
int trainer_power_ema_check_loaded(const Trainer *t, const char *path);
// After the step counters advanced (skipped steps included: the params are unchanged
// then, so the profiles stay exact integrals over the images): updates every profile.
void trainer_power_ema_after_step(Trainer *t);
// Collective, right after a step: writes a snapshot when the step crossed a multiple
// of run.ema_snapshot_images, or is the run's last (`last`). Every rank returns the same status; a failure ends the
// run like a failed checkpoint (the run resumes from its last checkpoint and writes
// the snapshot again).
int trainer_power_ema_snapshot(Trainer *t, int last);

#endif
