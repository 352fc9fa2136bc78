// Evaluation during training (run.eval_every; docs/training.md "Evaluation during
// training"): every eval_every steps and at the last step, all ranks together compute
// the test bits/dim of the EMA weights on the first eval.bpd_n examples of data.test
// with the code of `vdmc eval --bpd` (eval/bpd_eval.h), so the value is the one
// `vdmc eval CHECKPOINT --bpd --n N --seed run.seed` prints for that step's checkpoint.
// Evaluation reads the weights and draws from its own keyed streams: the training
// bits do not depend on it.
#ifndef VDMC_TRAIN_TRAIN_EVAL_H
#define VDMC_TRAIN_TRAIN_EVAL_H

#include "eval/bpd_eval.h"
#include "train/trainer.h"

typedef struct {
  int every;         // run.eval_every (0: never)
  BpdEvalArgs args;  // data.test, eval.bpd_n, seed run.seed, BPD_EVAL_T_SAMPLES
  double seconds;    // evaluation seconds of this process
  double t_start;    // MPI_Wtime when this process opened it
} TrainEval;

// One evaluation as log.jsonl records it (src/train/train_log.h).
typedef struct {
  long long step, n;
  double bpd, bpd_se;  // test bits/dim of the EMA weights, mean and standard error over the n examples
  double seconds;      // of this evaluation
  double fraction;     // evaluation seconds / wall seconds since this process started
} TrainEvalLine;

// Collective: checks data.test against the model and eval.bpd_n before the first step.
int train_eval_open(TrainEval *e, Trainer *t);
// Whether this step is evaluated (last: the run's final step).
int train_eval_due(const TrainEval *e, const Trainer *t, int last);
// Collective: evaluates the EMA weights of this step into *line (*evaluated = 1). A
// failed evaluation is a warning line on rank 0 and *evaluated = 0: training goes on.
// Errors returned (the same on every rank) are those training cannot go on after.
int train_eval_run(TrainEval *e, Trainer *t, TrainEvalLine *line, int *evaluated);

#endif
