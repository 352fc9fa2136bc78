// `vdmc eval --bpd`: the VDM bits/dim of a run's EMA model over a dataset split,
// ranks splitting the examples (rank r of P takes [rN/P, (r+1)N/P)), float64 sums
// reduced over ranks, reported as mean +- standard error with the prior,
// reconstruction and diffusion terms separately. docs/sampling.md.
#ifndef VDMC_EVAL_BPD_EVAL_H
#define VDMC_EVAL_BPD_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "mpi/comm.h"

typedef struct {
  const char *path;     // RUN_DIR or checkpoint file
  const char *split;    // "test" (data.test) or "train" (data.train)
  int t_samples;        // K time samples per example
  long long n;          // first n examples of the split; 0 = all
  int batch;            // network batch ((example, time) pairs per forward)
  uint64_t seed;
  int unconditional;    // conditional model: evaluate with the null class instead of the labels
} BpdEvalArgs;

// Mean and standard error (over examples) of each term, in bits/dim.
typedef struct {
  long long n;
  double mean[4], se[4];  // total, prior, reconstruction, diffusion
} BpdResult;

// Collective over c->comm; every rank returns the same status and result.
int bpd_eval_run(const BpdEvalArgs *a, const VdmcComm *c, BpdResult *res);
// Rank 0's report of a result.
void bpd_eval_print(FILE *f, const BpdEvalArgs *a, const BpdResult *res);

#endif
