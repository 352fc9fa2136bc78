// A trained model rebuilt from a checkpoint for sampling and evaluation: the run
// (run/run.h: config, objective with the trained adaptive or learned schedule,
// network, EMA weights) and what sampling adds, the network as a sampler Denoiser.
// docs/sampling.md.
#ifndef VDMC_SAMPLE_CKPT_MODEL_H
#define VDMC_SAMPLE_CKPT_MODEL_H

#include <mpi.h>

#include "run/run.h"
#include "sample/net_denoiser.h"
#include "sample/sampler.h"

typedef struct {
  Run run;          // run.ema: the weights sampled with
  float *lambda_f;  // (max_batch) lambda as float for stepnet_forward
  NetDenoiser den;  // the network with the EMA weights
} CkptModel;

// Collective over comm: run_from_checkpoint with the EMA weights, which must be
// finite (a diverged run's NaN weights are refused naming the tensor). The network
// takes batches up to max_batch. Errors are one line, the same on every rank.
int ckpt_model_load(CkptModel *m, const char *path, int max_batch, MPI_Comm comm);
void ckpt_model_free(CkptModel *m);
// The model as a sampler Denoiser (forward with the EMA weights, no dropout).
Denoiser ckpt_model_denoiser(CkptModel *m);

#endif
