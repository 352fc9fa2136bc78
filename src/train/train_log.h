// What rank 0 reports while training: one progress line per log interval on
// stderr and one JSON object per interval in RUN/log.jsonl (docs/training.md).
#ifndef VDMC_TRAIN_TRAIN_LOG_H
#define VDMC_TRAIN_TRAIN_LOG_H

#include <stdio.h>

#include "train/trainer.h"

typedef struct {
  FILE *jsonl;      // rank 0 only
  int rank, size;
  double t_start, t_last;
  long long step_last;
  double loss_sum, loss_std_sum, loss_ema, gnorm_sum;  // loss_std_sum: of TrainStepStats.loss_std
  int n, have_ema, n_norm;
  MetricStat phase_sum[PHASE_COUNT];  // over the interval: sums of the per-step min/sum/max
  int n_phase;
} TrainLog;

int train_log_open(TrainLog *l, const Trainer *t);
// Adds one step's statistics; writes a line when the step closes an interval.
int train_log_step(TrainLog *l, const Trainer *t, const TrainStepStats *st, int force);
void train_log_close(TrainLog *l);

#endif
