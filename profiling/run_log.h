// Reader of RUN/log.jsonl (written by src/train/train_log.c): one flat JSON object
// per line, numbers only, with one nested object `phases` of {min, mean, max}
// objects. Two kinds of lines: a log interval, and an evaluation during training
// (a line with an eval_bpd key, src/train/train_eval.h). Strict: a malformed line, a
// missing or repeated key, or a value that is not a number is an error naming
// path:line; unknown keys are skipped so newer logs still read.
#ifndef VDMC_PROFILING_RUN_LOG_H
#define VDMC_PROFILING_RUN_LOG_H

#include "train/trainer.h"  // PHASE_COUNT, train_phase_names

typedef struct {
  double min, mean, max;  // seconds per step over ranks
} PhaseStat;

typedef struct {
  double step, images, loss, loss_ema, lr, grad_norm, img_per_s, eta_s, skipped, ranks;
  PhaseStat phase[PHASE_COUNT];
  double sync_launched_early;  // fraction of the gradient buffer in flight before backward ended
} RunLogRecord;

// One evaluation during training (docs/training.md "Evaluation during training").
typedef struct {
  double step, images;
  double bpd, bpd_se, n;  // eval_bpd, eval_bpd_se, eval_n
  int has_fid;            // the line has eval_fid, eval_is, eval_is_std, eval_fid_n (all four or none)
  double fid, is_mean, is_std, fid_n;
} RunLogEval;

typedef struct {
  RunLogRecord *rec;  // (n) log intervals, in file order
  int n;
  RunLogEval *eval;   // (n_eval) evaluations, in file order
  int n_eval;
} RunLog;

// At least one log interval; evaluations may be absent.
int run_log_read(RunLog *log, const char *path);
void run_log_free(RunLog *log);

// Sum of a record's phase means: seconds per step.
double run_log_step_seconds(const RunLogRecord *r);
// Averages records [first, n) field by field into *out (the steady state when
// first = 1 skips the interval that holds start-up). first is clamped to n - 1.
void run_log_average(const RunLog *log, int first, RunLogRecord *out);

#endif
