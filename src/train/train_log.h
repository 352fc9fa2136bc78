// What rank 0 reports while training: one progress line per log interval on
// stderr, one JSON object per interval in RUN/log.jsonl and the same values as
// TensorBoard scalars in RUN/tb/ (docs/training.md).
#ifndef VDMC_TRAIN_TRAIN_LOG_H
#define VDMC_TRAIN_TRAIN_LOG_H

#include <stdio.h>

#include "train/train_eval.h"
#include "train/trainer.h"

// One log interval as log.jsonl records it (and TensorBoard, src/train/train_tb.h).
typedef struct {
  long long step, images, skipped;
  int ranks;
  double loss, loss_std, loss_ema, lr, grad_norm, img_per_s;
  double eta_s;  // -1: unknown
  double phase_min[PHASE_COUNT], phase_mean[PHASE_COUNT], phase_max[PHASE_COUNT];  // seconds per step over ranks
  double sync_launched_early;
} TrainLogLine;

struct TrainTb;

typedef struct {
  FILE *jsonl;      // rank 0 only
  struct TrainTb *tb;  // rank 0 with run.tensorboard: the event files of RUN/tb/
  int rank, size;
  double t_start, t_last;
  long long step_last;
  double loss_sum, loss_std_sum, loss_ema, gnorm_sum;  // loss_std_sum: of TrainStepStats.loss_std
  int n, have_ema, n_norm;
  MetricStat phase_sum[PHASE_COUNT];  // over the interval: sums of the per-step min/sum/max
  int n_phase;
  double last_bpd;  // the latest eval_bpd (NAN: none yet), shown in the progress line
  double last_fid;  // the latest eval_fid (NAN: none yet), shown too
} TrainLog;

int train_log_open(TrainLog *l, const Trainer *t);
// Adds one step's statistics; writes a line when the step closes an interval.
int train_log_step(TrainLog *l, const Trainer *t, const TrainStepStats *st, int force);
// After train_eval_run: rank 0 writes the evaluation as a log.jsonl line of its own
// (its keys are eval_*, beside step), a TensorBoard scalar per key and a line on
// stderr. The evaluation's seconds are not counted in the interval's img/s and eta.
int train_log_eval(TrainLog *l, const TrainEvalLine *x);
// After trainer_sample_grid wrote this step's grid: rank 0 adds it to TensorBoard.
void train_log_samples(TrainLog *l, const Trainer *t);
void train_log_close(TrainLog *l);

#endif
