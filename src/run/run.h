// What a checkpointed run is: its resolved config, its objective (run/objective.h),
// its network (U-Net or U-ViT as a StepNet) and its weights, built from a config
// (vdmc train) or from a checkpoint on a communicator (sample, eval, export). The
// layer between {models, diffusion, io} and {train, sample, eval, interop, cli}: those
// start from a Run and do only their own job (docs/design.md).
#ifndef VDMC_RUN_RUN_H
#define VDMC_RUN_RUN_H

#include <mpi.h>
#include <stdint.h>

#include "config/config.h"
#include "io/checkpoint.h"
#include "models/unet.h"
#include "run/objective.h"

typedef struct {
  ConfigSet cs;          // the resolved config (from a checkpoint: the one it stores)
  Objective obj;         // never copy a Run: obj.schedule points into obj
  StepNet net;           // the U-Net or U-ViT model.arch names (one step machine, one API)
  size_t total;          // floats of each weight buffer (>= the table's total: padding)
  float *params;         // (total) the trained weights; NULL when only the EMA was loaded
  float *ema;            // (total) their EMA
  int64_t step;          // optimizer steps the weights have seen
  char file[4096];       // the checkpoint loaded ("" when built from a config)
  char *config_text;     // that checkpoint's config as stored (NULL from a config)
} Run;

// From a resolved config: objective and network (batches up to max_batch); no
// weights yet (run_alloc_weights).
int run_from_config(Run *r, const ConfigSet *cs, int max_batch);
// Zeroed params and ema of `total` floats each (0: the table's total; more when the
// caller pads them, as ZeRO-1 does).
int run_alloc_weights(Run *r, size_t total);

enum { RUN_LOAD_EMA = 0, RUN_LOAD_PARAMS_TOO = 1 };
// Collective over comm. `path`: a checkpoint file, RUN_DIR, RUN_DIR/checkpoints or
// .../latest (the file `latest` names). Rank 0 finds the file and reads its config,
// which every rank builds from (errors are one line, the same on every rank); then
// checkpoint_load reads the "ema" array (and "params" with RUN_LOAD_PARAMS_TOO) and
// the objective's extras.
int run_from_checkpoint(Run *r, const char *path, int max_batch, int load, MPI_Comm comm);

// The checkpoint description of the run's objective: registers its extras after the
// caller's arrays (see objective_add_extras).
int run_add_extras(Run *r, CheckpointState *st);
void run_free(Run *r);

#endif
