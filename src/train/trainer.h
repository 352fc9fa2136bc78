// The data-parallel training loop of `vdmc train` (docs/design.md: flat buffers, determinism, collectives).
// Each rank holds the whole model in flat buffers, trains on examples
// [rB/P, (r+1)B/P) of every global batch B, and per step takes part in: the
// gradient sum (bucketed, overlapped with backward; or ZeRO-1 reduce-scatter +
// all-gather), one reduction of the adaptive-schedule bins, and one reduction of
// the step metrics (which also carries the non-finite and stop flags).
// Every random draw is keyed by (seed, step, global example index), so the
// math does not depend on P and resume needs only the step counter.
// Legend: B global batch, b local batch, D = H*W*C values per example.
#ifndef VDMC_TRAIN_TRAINER_H
#define VDMC_TRAIN_TRAINER_H

#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "diffusion/adaptive.h"
#include "diffusion/objective_spec.h"
#include "io/reader.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"
#include "mpi/reduce.h"
#include "optim/adam.h"
#include "optim/ema.h"
#include "optim/ema_power.h"
#include "optim/lr_schedule.h"
#include "run/run.h"
#include "train/train_schedule.h"

typedef enum {
  PHASE_DATA = 0,   // waiting for the reader's batch + noise draws
  PHASE_FORWARD,
  PHASE_BACKWARD,   // includes launching/progressing gradient buckets
  PHASE_SYNC_WAIT,  // blocked completing the gradient reduction (exposed communication)
  PHASE_ALLGATHER,  // ZeRO-1: blocked in the all-gather of the updated weights (0 otherwise);
                    // apart from PHASE_OPTIMIZER so the link's time is not read as Adam's
  PHASE_OPTIMIZER,  // metrics/bins reductions, clip, Adam, EMA, schedule update
  PHASE_CHECKPOINT,
  PHASE_COUNT
} TrainPhase;

extern const char *const train_phase_names[PHASE_COUNT];

typedef struct {
  Run run;  // config, objective (schedule, weighting, adaptive bins, learned schedule), network, weights
  VdmcComm comm;
  char run_dir[4096];
  char config_text_path[4200];

  // batch geometry
  int B, b, first;  // global batch, local batch, global index of local example 0
  int mb;           // micro-batch: examples per forward/backward pass (<= b)
  int H, W, C;
  size_t D;
  int num_classes;  // model classes (0 = unconditional); label K = null class

  // training state beside the run's weights (run.params, run.ema: run.total floats,
  // padded to a multiple of P)
  const ParamTable *table;      // run.net's
  float *grads;                 // (run.total)
  float *adam_m, *adam_v;       // (shard_len): the whole buffer unless zero_stage 1
  GradSync sync;
  TrainSchedule learned;  // run.obj.use_learned: the learned schedule's training buffers
  double bins[2 * ADAPTIVE_BINS];  // per-step (sum, count) per bin, then all-reduced

  // optimizer
  AdamConfig adam;
  LrSchedule lr;
  EmaConfig ema_cfg;
  EmaPowerSet power_ema;  // optim.ema_stds profiles (train/trainer_power_ema.h)
  double power_ema_stds_io[EMA_POWER_MAX_PROFILES];  // their stds as a checkpoint extra (save and load)

  // data and per-step buffers of the local batch
  Reader *reader;
  float *x, *eps, *z, *out, *dout;  // (b, D)
  float *lambda_f;                  // (b) lambda as the network sees it
  int32_t *labels_raw;              // (b)
  int *labels;                      // (b) after label dropout
  double *t, *lambda, *weight, *loss, *sqerr;  // (b)

  // progress
  int64_t step;         // optimizer steps taken (= index of the next step)
  int64_t images_seen;
  int64_t skipped_total;
  int consecutive_skips;
  double phase[PHASE_COUNT];  // seconds of the last step, per phase
  // test hook (tests/cli/train_nonfinite.sh): rank test_nan_rank reports a NaN loss for
  // steps in [test_nan_from, test_nan_until); from env VDMC_TRAIN_TEST_NAN=RANK:FROM:UNTIL
  int test_nan_rank;
  int64_t test_nan_from, test_nan_until;
  // test hook (tests/cli/train_errors.sh): rank test_data_error_rank's reader fails at
  // step test_data_error_step, as a bad label or an unreadable chunk would; from env
  // VDMC_TRAIN_TEST_DATA_ERROR=RANK:STEP
  int test_data_error_rank;
  int64_t test_data_error_step;
} Trainer;

typedef struct {
  double loss;       // mean over the global batch of L_b / D
  double loss_std;   // sample standard deviation of L_b / D over the global batch
  double grad_norm;  // global norm before clipping
  double lr;
  int skipped;       // 1: non-finite loss or gradient on some rank; update not applied
  int stop;          // 1: a stop signal reached some rank
  int data_error;    // 1: some rank could not read its batch; nothing was updated, and
                     // trainer_step returned that rank's error on every rank
  MetricStat phase[PHASE_COUNT];  // the previous step's phase seconds over ranks
} TrainStepStats;

typedef enum { RESUME_AUTO = 0, RESUME_NONE, RESUME_FILE } ResumeMode;

// Builds everything from a resolved config: checks the dataset against the model,
// creates or resumes the run directory (resume: RESUME_AUTO loads RUN/checkpoints/latest
// when present; RESUME_NONE refuses a run directory that has checkpoints; RESUME_FILE
// loads `resume_path`), writes RUN/config.yaml. Collective.
int trainer_create(Trainer *t, const ConfigSet *cs, const VdmcComm *comm, const char *run_dir,
                   ResumeMode resume, const char *resume_path);
// One training step. Collective.
int trainer_step(Trainer *t, TrainStepStats *st);
// Commits a checkpoint of the current state. Collective.
int trainer_save(Trainer *t);
// Collective: the same state, with one more extra `extra` (n values), written to `path`
// (outside RUN/checkpoints/) through checkpoint_write_output: atomic, never pruned.
int trainer_save_as(Trainer *t, const char *path, const char *extra, double *values, size_t n);
void trainer_free(Trainer *t);
// The resolved config as YAML text (malloc'd; NULL when out of memory): stored in
// checkpoints and post-hoc EMA snapshots.
char *trainer_config_text(const ConfigSet *cs);
// Rank 0: a grid of EMA samples in RUN/samples/step-NNNNNNNN.png (run.sample_every).
int trainer_sample_grid(Trainer *t);
void trainer_sample_grid_path(const Trainer *t, char *path, size_t n);  // of this step's grid
// Whether the step just taken crossed a multiple of `every` images (> 0): a cadence in
// images, independent of the batch size and of where the run was resumed.
int trainer_crossed_images(const Trainer *t, int64_t every);
// The backward hook that launches gradient buckets (ctx = the Trainer).
void trainer_on_grad_ready(void *ctx, size_t offset);

#endif
