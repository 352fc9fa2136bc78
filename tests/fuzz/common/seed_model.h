// The tiny model of the checkpoint seeds: make_seeds.c saves a checkpoint of it and
// the loader target loads into it, so a seed passes every check of checkpoint_load
// and mutations start from a file that loads.
#ifndef VDMC_FUZZ_SEED_MODEL_H
#define VDMC_FUZZ_SEED_MODEL_H

#include "core/param_table.h"
#include "io/checkpoint.h"

#define SEED_MODEL_EXTRA "schedule_bin_sum"
#define SEED_MODEL_BINS 4

typedef struct {
  ParamTable table;
  float *params, *ema;  // (table.total)
  double bins[SEED_MODEL_BINS];
} SeedModel;

// Two tensors with padding between them; params and ema hold small exact values.
int seed_model_init(SeedModel *m);
void seed_model_free(SeedModel *m);
// checkpoint_state_init, then the whole arrays "params" and "ema" and the extra.
void seed_model_state(SeedModel *m, CheckpointState *st);
// The readers of `vdmc train --resume`, sample and schedule on the file at `path`:
// checkpoint_load on MPI_COMM_SELF into the model, then checkpoint_peek of the config
// and SEED_MODEL_EXTRA. Results are dropped: only crashes count.
void seed_model_read_checkpoint(SeedModel *m, const char *path);

#endif
