// `vdmc eval --bpd`: the VDM bits/dim of a run's EMA model over a dataset split,
// ranks splitting the examples (rank r of P takes [rN/P, (r+1)N/P)), float64 sums
// reduced over ranks, reported as mean +- standard error with the prior,
// reconstruction and diffusion terms separately. docs/sampling.md.
#ifndef VDMC_EVAL_BPD_EVAL_H
#define VDMC_EVAL_BPD_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "mpi/comm.h"
#include "run/run.h"
#include "sample/sampler.h"

enum { BPD_EVAL_T_SAMPLES = 4 };  // default K of `vdmc eval --bpd` and of evaluation during training

typedef struct {
  const char *path;     // RUN_DIR or checkpoint file
  const char *split;    // "test" (data.test) or "train" (data.train)
  int t_samples;        // K time samples per example
  long long n;          // first n examples of the split; 0 = all
  int batch;            // network batch ((example, time) pairs per forward)
  uint64_t seed;
  int unconditional;    // conditional model: evaluate with the null class instead of the labels
  int quiet;            // 1: no progress bar (evaluation during training)
} BpdEvalArgs;

// Mean and standard error (over examples) of each term, in bits/dim.
typedef struct {
  long long n;
  double mean[4], se[4];  // total, prior, reconstruction, diffusion
} BpdResult;

// Collective over c->comm; every rank returns the same status and result.
// bpd_eval_run loads a->path (a->batch: the network batch); bpd_eval_model evaluates
// `den`, a network of `run` with its weights (train/train_eval.c: the EMA of the run
// being trained; a->path then only names it in messages). The estimate of an example
// does not depend on batching or ranks (eval/bpd.h), so both give the same bits.
int bpd_eval_run(const BpdEvalArgs *a, const VdmcComm *c, BpdResult *res);
int bpd_eval_model(const BpdEvalArgs *a, const Run *run, Denoiser den, const VdmcComm *c, BpdResult *res);
// Collective over comm: the checks of bpd_eval_model's split against `run` (images,
// classes, a->n), made before training starts rather than at its first evaluation.
int bpd_eval_check(const BpdEvalArgs *a, const Run *run, MPI_Comm comm);
// Rank 0's report of a result.
void bpd_eval_print(FILE *f, const BpdEvalArgs *a, const BpdResult *res);

#endif
