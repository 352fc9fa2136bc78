// Evaluation during training (run.eval_every or run.eval_every_images; docs/training.md
// "Evaluation during training"): every eval_every steps (or at the first step whose
// images seen cross each multiple of eval_every_images) and at the last step, all ranks together compute
// the test bits/dim of the EMA weights on the first eval.bpd_n examples of data.test
// with the code of `vdmc eval --bpd` (eval/bpd_eval.h), so the value is the one
// `vdmc eval CHECKPOINT --bpd --n N --seed run.seed` prints for that step's checkpoint.
// With eval.fid_n > 0 it also computes the FID and Inception Score of eval.fid_n
// samples of the EMA weights with the code of `vdmc eval --fid --n` (eval/fid_generate.h),
// so eval_fid is what `vdmc eval CHECKPOINT --fid --n N --ref eval.fid_ref --features
// eval.fid_features --sampler eval.fid_sampler --steps eval.fid_steps --seed run.seed
// --sample-batch B` prints, B the trainer's micro-batch (its network's largest batch).
// Evaluation reads the weights and draws from its own keyed streams: the training
// bits do not depend on it.
//
// run.keep_best: bpd (fid) keeps the state of the lowest eval_bpd (eval_fid) as
// RUN/best.h5: the whole checkpoint (loadable by eval, sample and train --resume) with
// the extra "eval_best" = (value, step, metric: 0 bpd, 1 fid), written through checkpoint_write_output (a
// temporary renamed over the old file when every rank wrote it), outside
// RUN/checkpoints/ so that pruning (run.keep_checkpoints) and `latest` never touch it.
// The best so far is the value stored in that file, read at start: a resumed run
// (from any of its checkpoints) never replaces a better one, and refuses a file kept
// by the other metric.
#ifndef VDMC_TRAIN_TRAIN_EVAL_H
#define VDMC_TRAIN_TRAIN_EVAL_H

#include "eval/bpd_eval.h"
#include "eval/fid_evaluate.h"
#include "sample/generate.h"
#include "train/trainer.h"

typedef struct {
  int every;         // run.eval_every (0: never, unless every_images)
  long long every_images;  // run.eval_every_images (0: by every)
  char cadence[64];  // "run.eval_every 4" or "run.eval_every_images 64", for messages
  BpdEvalArgs args;  // data.test, eval.bpd_n, seed run.seed, BPD_EVAL_T_SAMPLES
  double seconds;    // evaluation seconds of this process
  double t_start;    // MPI_Wtime when this process opened it
  int fid;           // eval.fid_n > 0: FID too
  FidSetup fid_setup;  // eval.fid_ref and eval.fid_features, opened once
  SampleRequest fid_req;  // eval.fid_n samples, eval.fid_sampler/steps, seed run.seed, batch <= the micro-batch
  int keep_best;     // TRAIN_EVAL_KEEP_*
  double best;       // the kept metric of RUN/best.h5 (INFINITY: no such file yet)
  long long best_step;
  char best_path[4200];
  // test hook (tests/cli/train_fid.sh): rank test_fid_error_rank's FID at step
  // test_fid_error_step fails, as a non-finite sample would; from env
  // VDMC_TRAIN_TEST_FID_ERROR=RANK:STEP
  int test_fid_error_rank;
  long long test_fid_error_step;
} TrainEval;

#define TRAIN_EVAL_BEST_FILE "best.h5"   // in the run directory
#define TRAIN_EVAL_BEST_EXTRA "eval_best"  // its (value, step, metric); (eval_bpd, step) before FID
enum { TRAIN_EVAL_KEEP_NONE = -1, TRAIN_EVAL_KEEP_BPD = 0, TRAIN_EVAL_KEEP_FID = 1 };  // the stored metric

// One evaluation as log.jsonl records it (src/train/train_log.h).
typedef struct {
  long long step, images, n;  // images: seen when the step ended (the x of profiling/report's plots)
  double bpd, bpd_se;  // test bits/dim of the EMA weights, mean and standard error over the n examples
  int has_fid;         // eval.fid_n > 0: the next four are set
  long long fid_n;
  double fid, is_mean, is_std;  // FID and Inception Score of fid_n samples
  double seconds;      // of this evaluation
  double fraction;     // evaluation seconds / wall seconds since this process started
  int best;            // 1: this evaluation replaced RUN/best.h5 (run.keep_best)
} TrainEvalLine;

// Collective: checks data.test against the model and eval.bpd_n before the first step,
// opens the FID's statistics and feature network (eval.fid_*), and reads the best value
// so far from RUN/best.h5 (run.keep_best). train_eval_close after it, even on failure.
int train_eval_open(TrainEval *e, Trainer *t);
void train_eval_close(TrainEval *e);
// Whether this step is evaluated (last: the run's final step).
int train_eval_due(const TrainEval *e, const Trainer *t, int last);
// Collective: evaluates the EMA weights of this step into *line (*evaluated = 1) and
// writes RUN/best.h5 when it is better than the best so far (run.keep_best). Errors
// are the same on every rank and end the run (the caller checkpoints this step and
// stops, docs/training.md): a failed bits/dim with *evaluated = 0; a failed FID with
// *evaluated = 1, *line holding the bits/dim (has_fid = 0, RUN/best.h5 kept by it
// for keep_best bpd), which the caller logs before stopping.
int train_eval_run(TrainEval *e, Trainer *t, TrainEvalLine *line, int *evaluated);

#endif
