// A trained model rebuilt from a checkpoint for sampling and evaluation: the config
// stored in the checkpoint (config_load_text) gives the network (model.arch: U-Net or
// U-ViT, model_create_from_config, both behind the StepNet API)
// and the objective (diffusion_spec_from_config); the "ema" array gives the weights
// and, with diffusion.adaptive, the extra "adaptive_bins" the training schedule (with
// diffusion.schedule learned: the extra LEARNED_CHECKPOINT_EXTRA).
// docs/sampling.md.
#ifndef VDMC_SAMPLE_CKPT_MODEL_H
#define VDMC_SAMPLE_CKPT_MODEL_H

#include <mpi.h>
#include <stdint.h>

#include "config/config.h"
#include "diffusion/adaptive.h"
#include "diffusion/objective_spec.h"
#include "diffusion/schedule_learned.h"
#include "models/unet.h"
#include "sample/sampler.h"
#include "sample/net_denoiser.h"

typedef struct {
  ConfigSet cs;               // the run's resolved config
  StepNet net;                // the U-Net or U-ViT (one step machine, one API)
  float *ema;                 // (stepnet_param_floats) the EMA weights, on every rank
  DiffusionSpec spec;
  Schedule schedule;          // the training schedule (adaptive: the checkpoint's bins)
  Weighting weighting;
  AdaptiveSchedule adaptive;  // schedule.adaptive points here: do not copy the struct
  LearnedSchedule learned;    // schedule.learned points here (diffusion.schedule learned)
  ParamTable learned_table;
  float *learned_params;      // (learned_table.total)
  double *learned_packed;     // (3 learned_table.total) the checkpoint extra
  int64_t step;
  char file[4096];            // the checkpoint file loaded
  float *lambda_f;            // (max_batch) lambda as float for stepnet_forward
  NetDenoiser den;           // the U-Net with the EMA weights
} CkptModel;

// Collective over comm. `path`: a checkpoint file, RUN_DIR, RUN_DIR/checkpoints or
// .../latest (the file `latest` names). The U-Net takes batches up to max_batch.
// Errors (missing file, unreadable config, unsupported config) are one line, the
// same on every rank.
int ckpt_model_load(CkptModel *m, const char *path, int max_batch, MPI_Comm comm);
void ckpt_model_free(CkptModel *m);
// The model as a sampler Denoiser (U-Net forward with the EMA weights, no dropout).
Denoiser ckpt_model_denoiser(CkptModel *m);

#endif
