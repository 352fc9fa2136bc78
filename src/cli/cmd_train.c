// `vdmc train [CONFIG] [--run DIR] [--set KEY=VALUE]... [--resume latest|none|FILE]`
// under mpirun: data-parallel training (src/train/). With no CONFIG the embedded
// default (configs/fmnist.yaml) is trained into runs/fmnist.
#define _POSIX_C_SOURCE 200809L  // SIGSTOP
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas/blas_startup.h"
#include "cli/commands.h"
#include "cli/config_args.h"
#include "core/status.h"
#include "mpi/agree.h"
#include "mpi/comm.h"
#include "mpi/iallreduce_algorithm.h"
#include "mpi/world.h"
#include "ops/attention.h"
#include "ops/gemm_bf16.h"
#include "cli/flag_parse.h"
#include "cli/mpi_command.h"
#include "train/train_eval.h"
#include "train/train_log.h"
#include "train/trainer.h"
#include "train/trainer_power_ema.h"

typedef struct {
  const char *run;
  const char *resume;
} TrainArgs;

static int take(int argc, char **argv, int i, void *ctx) {
  TrainArgs *a = ctx;
  const char *value;
  int at = i, rc = flag_value(argc, argv, &at, "--run --resume", &value);
  if (rc <= 0) return rc;
  if (!strcmp(argv[i], "--run")) a->run = value;
  else a->resume = value;
  return 2;
}

static void default_run_dir(char *buf, size_t n, const char *source) {
  const char *base = strrchr(source, '/');
  base = base ? base + 1 : source;
  if (!strncmp(source, "embedded", 8)) base = "fmnist";
  size_t len = strcspn(base, ".");
  snprintf(buf, n, "runs/%.*s", (int)len, base);
}

// Test hooks (tests/cli/train_resume.sh), read once at start:
//   VDMC_TRAIN_TEST_SIGNAL_AT=N  rank 0 raises SIGUSR1 after step N (the real stop path)
//   VDMC_TRAIN_TEST_STOP_AT=N    every rank stops itself (SIGSTOP) after the checkpoint
//                                of step N, so a test can kill -9 it at a known point
//   VDMC_TRAIN_TEST_STEP_DELAY_MS=D every rank sleeps D ms after each step: long wall
//                                time at no CPU cost, for the Slurm time-limit and
//                                node-failure tests (tests/cluster/); bits are unchanged
static long long env_step(const char *name) {
  const char *v = getenv(name);
  return v && *v ? atoll(v) : -1;
}

// After an error every rank agreed on: keep the steps done (a checkpoint of this step,
// unless `saved` says it has one) and stop, the error's line saying so.
static int stop_with_checkpoint(Trainer *t, int rc, int saved) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", vdmc_error_message());
  if (!saved && trainer_save(t))
    return vdmc_fail(rc, "%s (and the checkpoint of step %lld failed: %s)", msg, (long long)t->step,
                     vdmc_error_message());
  return vdmc_fail(rc, "%s; stopped with a checkpoint of step %lld", msg, (long long)t->step);
}

static int finish(const VdmcComm *c, int rc) {
  if (rc && c->rank == 0) fprintf(stderr, "vdmc train: %s\n", vdmc_error_message());
  vdmc_mpi_finalize();
  return rc ? 1 : 0;
}

int cmd_train(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "--help")) {
    printf("usage: mpirun -n P vdmc train [CONFIG.yaml] [--run DIR] [--set KEY=VALUE]... [--resume latest|none|FILE]\n"
           "  trains CONFIG (default: the embedded configs/fmnist.yaml) into DIR (default runs/NAME);\n"
           "  a DIR with checkpoints resumes from its latest one unless --resume says otherwise.\n"
           "  SIGUSR1/SIGTERM/SIGINT: checkpoint at the next step and exit 0 (Slurm requeue); a second SIGINT kills.\n");
    return 0;
  }
  VdmcComm comm;
  if (vdmc_mpi_init(&argc, &argv, &comm)) {
    fprintf(stderr, "vdmc train: %s\n", vdmc_error_message());
    return 1;
  }
  // Agreed by all ranks (mpi/world.h): a check that fails on one rank alone would
  // leave the others waiting in their first collective.
  int rc = world_check_slurm_tasks(&comm);
  if (rc) return finish(&comm, rc);
  TrainArgs a = {0};
  ConfigSet cs;
  rc = config_args_resolve(&cs, argc - 1, argv + 1, take, &a);
  if (rc) return finish(&comm, rc);
  ResumeMode mode = RESUME_AUTO;
  if (a.resume && !strcmp(a.resume, "none")) mode = RESUME_NONE;
  else if (a.resume && strcmp(a.resume, "latest")) mode = RESUME_FILE;
  char run_dir[4096];
  if (a.run) snprintf(run_dir, sizeof run_dir, "%s", a.run);
  else default_run_dir(run_dir, sizeof run_dir, cs.source_name);

  Trainer *t = calloc(1, sizeof *t);
  if (!t) return finish(&comm, vdmc_fail(VDMC_ERR_MEMORY, "out of memory"));
  if ((rc = trainer_create(t, &cs, &comm, run_dir, mode, a.resume))) {
    free(t);
    return finish(&comm, rc);
  }
  long long steps = cs.values.optim.steps;
  // after the config and the run are accepted: bad input still gets one line
  if ((rc = world_report_hosts(&comm, stderr, "vdmc train: "))) {
    trainer_free(t);
    free(t);
    return finish(&comm, rc);
  }
  if (comm.rank == 0) {
    fprintf(stderr, "vdmc train: %s -> %s\n", cs.source_name, run_dir);
    fprintf(stderr, "vdmc train: %d ranks, global batch %d (%d per rank), %zu parameters, %.3g GFLOP/image forward\n",
            comm.size, t->B, t->b, stepnet_num_params(&t->run.net), stepnet_flops_per_image(&t->run.net) / 1e9);
    fprintf(stderr, "vdmc train: objective: %s schedule on lambda [%g, %g], %s weighting shifted by s = %.4g "
            "(log(diffusion.shift_base / model.resolution)), %s prediction\n",
            schedule_kind_name(t->run.obj.schedule.kind), t->run.obj.schedule.lambda_min, t->run.obj.schedule.lambda_max,
            weighting_kind_name(t->run.obj.weighting.kind), t->run.obj.weighting.shift, pred_kind_name(t->run.obj.spec.pred));
    fprintf(stderr, "vdmc train: blas %s\n", blas_report_line());
    if (t->run.net.precision == PREC_BF16) {
      fprintf(stderr, "vdmc train: precision bf16 products, fp32 accumulation and master weights: %s\n",
              bf16_path_name());
      if (gemm_bf16_path() == GEMM_BF16_PORTABLE)  // a run that expects the speed-up should know
        fprintf(stderr, "vdmc train: without the AVX512-BF16 kernel a bf16 step is about as fast as fp32's "
                "(rounding costs a few percent): this run gets bf16's numerics and its smaller "
                "activations, not its speed (docs/precision.md)\n");
    }
    else if (gemm_bf16_best() != GEMM_BF16_PORTABLE)  // the default, where bf16 would pay
      fprintf(stderr, "vdmc train: precision fp32 (this CPU has AVX512-BF16: train.precision: bf16 "
              "would run the products on its kernel, faster; docs/precision.md says at what cost)\n");
    else
      fprintf(stderr, "vdmc train: precision fp32\n");
    fprintf(stderr, "vdmc train: attention probabilities %s for backward (model.attention_probs), "
            "%.2f MB of activations per image\n", attn_probs_name(t->run.net.cfg.attention_probs),
            stepnet_arena_bytes_per_image(&t->run.net) / 1e6);
    if (t->lr.decay_skipped)
      fprintf(stderr, "vdmc train: optim.lr_decay %s has no decay phase: the run ends after %.0f images, inside "
              "optim.warmup_images %g\n", cs.values.optim.lr_decay, t->lr.decay_end, t->lr.warmup);
    if (comm.size > 1 && t->sync.zero_stage == 0)
      fprintf(stderr, "vdmc train: gradient sum: MPI_Iallreduce per bucket, %s\n",
              iallreduce_algorithm_name(t->sync.algorithm));
    if (t->sync.precision == GRAD_SYNC_BF16)  // never silent: it changes the sums (docs/mpi.md)
      fprintf(stderr, comm.size > 1 ? "vdmc train: gradient sum over ranks in bf16 (mpi.reduce_precision), "
                                      "half the bytes; error bound in docs/mpi.md\n"
                                    : "vdmc train: mpi.reduce_precision bf16 has no effect on 1 rank (nothing is sent)\n");
  }
  long long signal_at = env_step("VDMC_TRAIN_TEST_SIGNAL_AT"), stop_at = env_step("VDMC_TRAIN_TEST_STOP_AT");
  long long delay_ms = env_step("VDMC_TRAIN_TEST_STEP_DELAY_MS");
  TrainLog log;
  TrainEval eval;
  memset(&eval, 0, sizeof eval);  // closed whether or not it was opened
  rc = mpi_agree(comm.comm, train_log_open(&log, t));  // rank 0 opens it; all stop if it cannot
  if (!rc) rc = train_eval_open(&eval, t);
  int saved_at_end = 0;
  while (!rc && t->step < steps) {
    TrainStepStats st;
    if ((rc = trainer_step(t, &st))) {
      // a step error may be local to this rank: end every rank rather than hang
      if (!st.data_error) vdmc_mpi_abort(&comm, "vdmc train");
      // a data error was agreed by all ranks: keep the steps done, then stop
      rc = stop_with_checkpoint(t, rc, 0);
      saved_at_end = 1;
      break;
    }
    int last = t->step >= steps;
    rc = train_log_step(&log, t, &st, last || st.stop);
    if (rc) break;
    if ((rc = trainer_power_ema_snapshot(t, last))) break;  // agreed by all ranks, like a checkpoint
    if (t->consecutive_skips >= cs.values.optim.max_skipped_steps) {
      rc = trainer_save(t);
      if (!rc)
        rc = vdmc_fail(VDMC_ERR_NUMERIC, "%d consecutive steps had a non-finite loss or gradient; stopped at "
                       "step %lld with a checkpoint of the last good state (lower optim.lr?)",
                       t->consecutive_skips, (long long)t->step);
      saved_at_end = 1;
      break;
    }
    int saved = st.stop || last || t->step % cs.values.run.checkpoint_every == 0;  // this step's checkpoint
    if (st.stop) {
      rc = trainer_save(t);
      if (!rc && comm.rank == 0)
        fprintf(stderr, "vdmc train: stop signal: checkpointed step %lld, exiting for requeue\n", (long long)t->step);
      saved_at_end = 1;
    } else if (saved) {
      rc = trainer_save(t);
      saved_at_end = last;
      if (!rc && t->step == stop_at) raise(SIGSTOP);
    }
    // a stop still evaluates a due step (after its checkpoint): the resumed run starts
    // after it, so this is the only chance, and requeued runs evaluate the same steps
    if (!rc && train_eval_due(&eval, t, last)) {
      TrainEvalLine line;
      int evaluated;
      rc = train_eval_run(&eval, t, &line, &evaluated);
      if (evaluated) {  // also the bits/dim of an evaluation whose FID failed
        char why[1024];
        snprintf(why, sizeof why, "%s", rc ? vdmc_error_message() : "");
        int logged = mpi_agree(comm.comm, train_log_eval(&log, &line));
        if (logged) rc = rc ? vdmc_fail(rc, "%s (and log.jsonl: %s)", why, vdmc_error_message()) : logged;
      }
      // a failed evaluation is an error of the running job (docs/design.md, Errors are
      // values): agreed by all ranks, it stops them all after a checkpoint of this step
      if (rc) {
        rc = stop_with_checkpoint(t, rc, saved);
        saved_at_end = 1;
      }
    }
    if (rc || st.stop) break;  // rc: agreed by all ranks
    if (t->step == signal_at && comm.rank == 0) raise(SIGUSR1);
    if (delay_ms > 0) nanosleep(&(struct timespec){delay_ms / 1000, delay_ms % 1000 * 1000000}, NULL);
    int every = cs.values.run.sample_every;
    if (!rc && every > 0 && (t->step % every == 0 || last)) {
      // a grid is a convenience: a failure is reported, training goes on
      int grid = trainer_sample_grid(t);
      if (grid && comm.rank == 0)
        fprintf(stderr, "vdmc train: warning: no sample grid at step %lld: %s\n", (long long)t->step,
                vdmc_error_message());
      if (!grid) train_log_samples(&log, t);  // rank 0: the grid as a TensorBoard image
    }
  }
  if (!rc && !saved_at_end && t->step >= steps) rc = trainer_save(t);  // resumed at the end
  train_eval_close(&eval);
  train_log_close(&log);
  trainer_free(t);
  free(t);
  return finish(&comm, rc);
}
