#include "train/train_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "io/checkpoint.h"
#include "mpi/agree.h"
#include "sample/net_denoiser.h"

// Rank 0: the (eval_bpd, step) stored in RUN/best.h5; INFINITY when there is no file.
// A file that is there but not a best checkpoint is an error: it is never replaced.
static int read_best(TrainEval *e) {
  e->best_bpd = INFINITY;
  e->best_step = -1;
  if (access(e->best_path, F_OK) != 0) return VDMC_OK;
  char *text = NULL, resolved[4096];
  double *v = NULL;
  size_t n = 0;
  int rc = checkpoint_peek(e->best_path, &text, TRAIN_EVAL_BEST_EXTRA, &v, &n, resolved);
  free(text);
  if (rc) {
    char why[1024];
    snprintf(why, sizeof why, "%s", vdmc_error_message());
    return vdmc_fail(rc, "run.keep_best: cannot read the best so far: %s", why);
  }
  if (n != 2 || !isfinite(v[0]) || !(v[1] >= 0))
    rc = vdmc_fail(VDMC_ERR_INPUT, "run.keep_best: %s has no valid extra '%s' (eval_bpd, step): not written by "
                   "run.keep_best; move it away", e->best_path, TRAIN_EVAL_BEST_EXTRA);
  else
    e->best_bpd = v[0], e->best_step = (long long)v[1];
  free(v);
  return rc;
}

int train_eval_open(TrainEval *e, Trainer *t) {
  const Config *c = &t->run.cs.values;
  memset(e, 0, sizeof *e);
  e->every = c->run.eval_every;
  e->t_start = MPI_Wtime();
  e->args = (BpdEvalArgs){.path = t->run_dir, .split = "test", .t_samples = BPD_EVAL_T_SAMPLES, .n = c->eval.bpd_n,
                          .batch = t->mb, .seed = (uint64_t)c->run.seed, .quiet = 1};
  e->keep_best = !strcmp(c->run.keep_best, "bpd");
  snprintf(e->best_path, sizeof e->best_path, "%s/%s", t->run_dir, TRAIN_EVAL_BEST_FILE);
  if (e->keep_best && !e->every)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: run.keep_best bpd keeps the best evaluation, but run.eval_every is 0 "
                     "(no evaluation)", config_where(&t->run.cs, "run.keep_best"));
  if (!e->every) return VDMC_OK;
  if (t->reader) reader_quiesce(t->reader);  // HDF5 is single-threaded: park the prefetcher
  int rc = mpi_agree(t->comm.comm, bpd_eval_check(&e->args, &t->run, t->comm.comm));
  if (rc) {
    char why[1024];  // copied: vdmc_fail writes the buffer vdmc_error_message reads
    snprintf(why, sizeof why, "%s", vdmc_error_message());
    return vdmc_fail(rc, "run.eval_every %d: %s (eval.bpd_n from %s)", e->every, why,
                     config_where(&t->run.cs, "eval.bpd_n"));
  }
  if (!e->keep_best) return VDMC_OK;
  double best[2] = {INFINITY, -1};
  if (t->comm.rank == 0 && !(rc = read_best(e))) best[0] = e->best_bpd, best[1] = (double)e->best_step;
  if ((rc = mpi_agree(t->comm.comm, rc))) return rc;
  if ((rc = MPI_STATUS(MPI_Bcast(best, 2, MPI_DOUBLE, 0, t->comm.comm), "eval: MPI_Bcast of the best so far")))
    return rc;
  e->best_bpd = best[0];
  e->best_step = (long long)best[1];
  if (t->comm.rank == 0 && isfinite(e->best_bpd))
    fprintf(stderr, "vdmc train: best so far: eval_bpd %.6f at step %lld (%s)\n", e->best_bpd, e->best_step,
            e->best_path);
  return VDMC_OK;
}

// run.keep_best: this step's state as RUN/best.h5 when its value is strictly better.
// A failed write leaves the old file (atomic) and is a warning: training goes on.
static void keep_if_best(TrainEval *e, Trainer *t, TrainEvalLine *line) {
  if (!e->keep_best || !(line->bpd < e->best_bpd)) return;
  double best[2] = {line->bpd, (double)line->step};
  if (trainer_save_as(t, e->best_path, TRAIN_EVAL_BEST_EXTRA, best, 2)) {
    if (t->comm.rank == 0)
      fprintf(stderr, "vdmc train: warning: %s not replaced by step %lld: %s\n", e->best_path, line->step,
              vdmc_error_message());
    return;
  }
  e->best_bpd = line->bpd;
  e->best_step = line->step;
  line->best = 1;
}

int train_eval_due(const TrainEval *e, const Trainer *t, int last) {
  return e->every > 0 && (last || t->step % e->every == 0);
}

int train_eval_run(TrainEval *e, Trainer *t, TrainEvalLine *line, int *evaluated) {
  *evaluated = 0;
  double t0 = MPI_Wtime();
  if (t->reader) reader_quiesce(t->reader);
  // `vdmc eval` builds the network in fp32 whatever train.precision: so does this
  Precision prec = t->run.net.precision;
  int rc = prec == PREC_FP32 ? VDMC_OK : stepnet_set_precision(&t->run.net, PREC_FP32);
  rc = mpi_agree(t->comm.comm, rc);
  BpdResult res;
  if (!rc) {
    NetDenoiser nd = {.net = &t->run.net, .params = t->run.ema, .lambda_f = t->lambda_f};  // lambda_f: b >= mb floats
    rc = bpd_eval_model(&e->args, &t->run, net_denoiser(&nd, t->run.obj.spec.pred, t->run.obj.spec.sigma_data),
                        &t->comm, &res);
  }
  if (prec != PREC_FP32) {
    int back = mpi_agree(t->comm.comm, stepnet_set_precision(&t->run.net, prec));
    if (back) return back;  // training cannot go on in another precision
  }
  if (rc) {
    // an evaluation is an observation of the run: a failed one is reported, training goes on
    if (t->comm.rank == 0)
      fprintf(stderr, "vdmc train: warning: no evaluation at step %lld: %s\n", (long long)t->step,
              vdmc_error_message());
    return VDMC_OK;
  }
  *line = (TrainEvalLine){.step = t->step, .n = res.n, .bpd = res.mean[0], .bpd_se = res.se[0]};
  keep_if_best(e, t, line);
  double now = MPI_Wtime();
  e->seconds += now - t0;
  // rank 0's clock for every rank: the line is the same everywhere
  double times[2] = {now - t0, e->seconds / (now - e->t_start)};
  if ((rc = MPI_STATUS(MPI_Bcast(times, 2, MPI_DOUBLE, 0, t->comm.comm), "eval: MPI_Bcast of the times"))) return rc;
  line->seconds = times[0];
  line->fraction = times[1];
  *evaluated = 1;
  return VDMC_OK;
}
