// Reader of RUN/log.jsonl (written by src/train/train_log.c): one flat JSON object
// per log interval, numbers only, with one nested object `phases` of
// {min, mean, max} objects. Strict: a malformed line, a missing or repeated key,
// or a value that is not a number is an error naming path:line; unknown keys
// are skipped so newer logs still read. Lines of evaluations during training (those
// with an eval_bpd key, src/train/train_eval.h) are skipped.
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

typedef struct {
  RunLogRecord *rec;  // (n)
  int n;
} RunLog;

int run_log_read(RunLog *log, const char *path);
void run_log_free(RunLog *log);

// Sum of a record's phase means: seconds per step.
double run_log_step_seconds(const RunLogRecord *r);
// Averages records [first, n) field by field into *out (the steady state when
// first = 1 skips the interval that holds start-up). first is clamped to n - 1.
void run_log_average(const RunLog *log, int first, RunLogRecord *out);

#endif
