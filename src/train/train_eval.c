#include "train/train_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "eval/fid_generate.h"
#include "io/checkpoint.h"
#include "mpi/agree.h"
#include "sample/net_denoiser.h"

// by TRAIN_EVAL_KEEP_*: run.keep_best's value and the log.jsonl key it keeps the lowest of
static const char *const KEEP[2] = {"bpd", "fid"}, *const METRIC[2] = {"eval_bpd", "eval_fid"};

// Rank 0: the (value, step) stored in RUN/best.h5; INFINITY when there is no file.
// A file that is there but not a best checkpoint of this metric is an error: it is
// never replaced. (eval_bpd, step) without a metric: kept before FID, by bpd.
static int read_best(TrainEval *e) {
  e->best = INFINITY;
  e->best_step = -1;
  if (access(e->best_path, F_OK) != 0) return VDMC_OK;
  char *text = NULL, resolved[4096];
  double *v = NULL;
  size_t n = 0;
  int rc = checkpoint_peek(e->best_path, &text, TRAIN_EVAL_BEST_EXTRA, &v, &n, resolved);
  free(text);
  if (rc) return vdmc_fail(rc, "run.keep_best: cannot read the best so far: %s", vdmc_error_message());
  int metric = n == 3 ? (int)v[2] : TRAIN_EVAL_KEEP_BPD;
  if ((n != 2 && n != 3) || !isfinite(v[0]) || !(v[1] >= 0) || (n == 3 && v[2] != 0 && v[2] != 1))
    rc = vdmc_fail(VDMC_ERR_INPUT, "run.keep_best: %s has no valid extra '%s' (value, step, metric): not written by "
                   "run.keep_best; move it away", e->best_path, TRAIN_EVAL_BEST_EXTRA);
  else if (metric != e->keep_best)
    rc = vdmc_fail(VDMC_ERR_INPUT, "run.keep_best %s: %s was kept by the lowest %s; move it away or keep_best %s",
                   KEEP[e->keep_best], e->best_path, METRIC[metric], KEEP[metric]);
  else
    e->best = v[0], e->best_step = (long long)v[1];
  free(v);
  return rc;
}

// Collective: eval.fid_*'s files and request, checked against the model before step 1.
static int fid_open(TrainEval *e, Trainer *t) {
  const ConfigSet *cs = &t->run.cs;
  const Config *c = &cs->values;
  if (!c->eval.fid_ref[0] || !c->eval.fid_features[0])
    return vdmc_fail(VDMC_ERR_INPUT, "%s: eval.fid_n %lld needs eval.fid_ref (vdmc fid-stats) and eval.fid_features "
                     "(the feature network of those statistics)", config_where(cs, "eval.fid_n"), c->eval.fid_n);
  if (c->eval.fid_n < FEATURES_IS_SPLITS)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: eval.fid_n %lld: the Inception Score needs at least %d samples",
                     config_where(cs, "eval.fid_n"), c->eval.fid_n, FEATURES_IS_SPLITS);
  int rc = fid_setup_open(&e->fid_setup, c->eval.fid_ref, c->eval.fid_features);
  e->fid = !rc;  // opened here: train_eval_close frees it
  rc = mpi_agree(t->comm.comm, rc);
  SampleRequest *r = &e->fid_req;
  sample_request_defaults(r);
  r->sampler = c->eval.fid_sampler;
  r->steps = c->eval.fid_steps;
  r->n = c->eval.fid_n;
  r->seed = c->run.seed;
  r->guidance = c->eval.fid_guidance;
  // the network takes up to mb rows, and a guided batch of B runs 2B of them ([z; z])
  r->batch = r->guidance > 0 ? t->mb / 2 : t->mb;
  if (r->batch < 1 && !rc)
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s: guided samples need 2 rows of the network, and it takes %d per pass "
                   "(optim.micro_batch or the rank's share of optim.batch_size)",
                   config_where(cs, "eval.fid_guidance"), t->mb);
  if (!rc) rc = sample_request_resolve(r, &t->run);
  const UNetConfig *u = &t->run.net.cfg;
  if (!rc) rc = features_check_input(&e->fid_setup.net, u->resolution, u->resolution, u->in_channels, "the model");
  rc = mpi_agree(t->comm.comm, rc);
  if (rc)
    return vdmc_fail(rc, "eval.fid_n %lld (%s): %s", c->eval.fid_n, config_where(cs, "eval.fid_n"),
                     vdmc_error_message());
  return VDMC_OK;
}

int train_eval_open(TrainEval *e, Trainer *t) {
  const Config *c = &t->run.cs.values;
  memset(e, 0, sizeof *e);
  e->every = c->run.eval_every;
  e->every_images = c->run.eval_every_images;
  if (e->every && e->every_images)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: run.eval_every_images %lld and run.eval_every %d are both set: evaluate "
                     "by images or by steps, not both (set one to 0)",
                     config_where(&t->run.cs, "run.eval_every_images"), e->every_images, e->every);
  if (e->every_images) snprintf(e->cadence, sizeof e->cadence, "run.eval_every_images %lld", e->every_images);
  else snprintf(e->cadence, sizeof e->cadence, "run.eval_every %d", e->every);
  int on = e->every || e->every_images;
  const char *hook = getenv("VDMC_TRAIN_TEST_FID_ERROR");
  e->test_fid_error_rank = -1;
  if (hook && sscanf(hook, "%d:%lld", &e->test_fid_error_rank, &e->test_fid_error_step) != 2)
    e->test_fid_error_rank = -1;
  e->t_start = MPI_Wtime();
  e->args = (BpdEvalArgs){.path = t->run_dir, .split = "test", .t_samples = BPD_EVAL_T_SAMPLES, .n = c->eval.bpd_n,
                          .batch = t->mb, .seed = (uint64_t)c->run.seed, .quiet = 1};
  e->keep_best = !strcmp(c->run.keep_best, "bpd")   ? TRAIN_EVAL_KEEP_BPD
                  : !strcmp(c->run.keep_best, "fid") ? TRAIN_EVAL_KEEP_FID
                                                     : TRAIN_EVAL_KEEP_NONE;
  snprintf(e->best_path, sizeof e->best_path, "%s/%s", t->run_dir, TRAIN_EVAL_BEST_FILE);
  if (e->keep_best != TRAIN_EVAL_KEEP_NONE && !on)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: run.keep_best %s keeps the best evaluation, but run.eval_every is 0 "
                     "(and run.eval_every_images too: no evaluation)", config_where(&t->run.cs, "run.keep_best"),
                     c->run.keep_best);
  if (c->eval.fid_n && !on)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: eval.fid_n %lld asks for the FID during training, but run.eval_every is 0 "
                     "(and run.eval_every_images too: no evaluation)", config_where(&t->run.cs, "eval.fid_n"),
                     c->eval.fid_n);
  if (e->keep_best == TRAIN_EVAL_KEEP_FID && !c->eval.fid_n)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: run.keep_best fid keeps the lowest eval_fid, but eval.fid_n is 0 (no FID)",
                     config_where(&t->run.cs, "run.keep_best"));
  if (!on) return VDMC_OK;
  if (t->reader) reader_quiesce(t->reader);  // HDF5 is single-threaded: park the prefetcher
  int rc = mpi_agree(t->comm.comm, bpd_eval_check(&e->args, &t->run, t->comm.comm));
  if (rc)
    return vdmc_fail(rc, "%s: %s (eval.bpd_n from %s)", e->cadence, vdmc_error_message(),
                     config_where(&t->run.cs, "eval.bpd_n"));
  if (c->eval.fid_n && (rc = fid_open(e, t))) return rc;
  if (e->keep_best == TRAIN_EVAL_KEEP_NONE) return VDMC_OK;
  double best[2] = {INFINITY, -1};
  if (t->comm.rank == 0 && !(rc = read_best(e))) best[0] = e->best, best[1] = (double)e->best_step;
  if ((rc = mpi_agree(t->comm.comm, rc))) return rc;
  if ((rc = MPI_STATUS(MPI_Bcast(best, 2, MPI_DOUBLE, 0, t->comm.comm), "eval: MPI_Bcast of the best so far")))
    return rc;
  e->best = best[0];
  e->best_step = (long long)best[1];
  if (t->comm.rank == 0 && isfinite(e->best))
    fprintf(stderr, "vdmc train: best so far: %s %.6f at step %lld (%s)\n", METRIC[e->keep_best], e->best,
            e->best_step, e->best_path);
  return VDMC_OK;
}

void train_eval_close(TrainEval *e) {
  if (e->fid) fid_setup_free(&e->fid_setup);
  e->fid = 0;
}

// run.keep_best: this step's state as RUN/best.h5 when its value is strictly better.
// A failed write leaves the old file (atomic) and is a warning: training goes on.
static void keep_if_best(TrainEval *e, Trainer *t, TrainEvalLine *line) {
  if (e->keep_best == TRAIN_EVAL_KEEP_NONE || (e->keep_best == TRAIN_EVAL_KEEP_FID && !line->has_fid)) return;
  double value = e->keep_best == TRAIN_EVAL_KEEP_FID ? line->fid : line->bpd;
  if (!(value < e->best)) return;
  double best[3] = {value, (double)line->step, e->keep_best};
  if (trainer_save_as(t, e->best_path, TRAIN_EVAL_BEST_EXTRA, best, 3)) {
    if (t->comm.rank == 0)
      fprintf(stderr, "vdmc train: warning: %s not replaced by step %lld: %s\n", e->best_path, line->step,
              vdmc_error_message());
    return;
  }
  e->best = value;
  e->best_step = line->step;
  line->best = 1;
}

int train_eval_due(const TrainEval *e, const Trainer *t, int last) {
  if (e->every_images > 0) return last || trainer_crossed_images(t, e->every_images);
  return e->every > 0 && (last || t->step % e->every == 0);
}

int train_eval_run(TrainEval *e, Trainer *t, TrainEvalLine *line, int *evaluated) {
  *evaluated = 0;
  double t0 = MPI_Wtime();
  if (t->reader) reader_quiesce(t->reader);
  // `vdmc eval` builds the network in fp32 whatever train.precision: so does this. The
  // switch to fp32 plans fp32's arena (allocating it; a failure leaves the net in bf16),
  // the switch back plans bf16's again and cannot fail (models/unet.h).
  Precision prec = t->run.net.precision;
  int rc = prec == PREC_FP32 ? VDMC_OK : stepnet_set_precision(&t->run.net, PREC_FP32);
  rc = mpi_agree(t->comm.comm, rc);
  BpdResult res;
  FidResult fid;
  NetDenoiser nd = {.net = &t->run.net, .params = t->run.ema, .lambda_f = t->lambda_f};  // lambda_f: b >= mb floats
  Denoiser den = net_denoiser(&nd, t->run.obj.spec.pred, t->run.obj.spec.sigma_data);
  if (!rc) rc = mpi_agree(t->comm.comm, bpd_eval_model(&e->args, &t->run, den, &t->comm, &res));
  int fid_rc = VDMC_OK;  // a failed FID keeps the bits/dim of the same evaluation
  if (!rc && e->fid) {
    fid_rc = fid_evaluate_generated(&e->fid_setup, &t->run, den, &e->fid_req, NULL, FEATURES_IS_SPLITS,
                                    t->comm.comm, &fid);
    if (!fid_rc && t->comm.rank == e->test_fid_error_rank && t->step == e->test_fid_error_step)
      fid_rc = vdmc_fail(VDMC_ERR_NUMERIC, "sample 0 is not finite: the model's output overflowed (test hook "
                         "VDMC_TRAIN_TEST_FID_ERROR)");
    fid_rc = mpi_agree(t->comm.comm, fid_rc);
  }
  char fid_why[1024] = "";  // kept: a failed write of RUN/best.h5 below records its own error
  if (fid_rc) snprintf(fid_why, sizeof fid_why, "%s", vdmc_error_message());
  if (prec != PREC_FP32) {
    int back = mpi_agree(t->comm.comm, stepnet_set_precision(&t->run.net, prec));
    if (back) return back;  // training cannot go on in another precision
  }
  if (rc)
    return vdmc_fail(rc, "step %lld: the evaluation of the bits/dim (eval.bpd_n %lld of data.test) failed: %s",
                     (long long)t->step, (long long)e->args.n, vdmc_error_message());
  *line = (TrainEvalLine){
      .step = t->step, .images = t->images_seen, .n = res.n, .bpd = res.mean[0], .bpd_se = res.se[0]};
  if (e->fid && !fid_rc) {
    line->has_fid = 1;
    line->fid_n = e->fid_req.n;
    line->fid = fid.fid;
    line->is_mean = fid.is_mean;
    line->is_std = fid.is_std;
  }
  keep_if_best(e, t, line);
  double now = MPI_Wtime();
  e->seconds += now - t0;
  // rank 0's clock for every rank: the line is the same everywhere
  double times[2] = {now - t0, e->seconds / (now - e->t_start)};
  if ((rc = MPI_STATUS(MPI_Bcast(times, 2, MPI_DOUBLE, 0, t->comm.comm), "eval: MPI_Bcast of the times"))) return rc;
  line->seconds = times[0];
  line->fraction = times[1];
  *evaluated = 1;
  if (fid_rc) {
    const Config *c = &t->run.cs.values;
    return vdmc_fail(fid_rc, "step %lld: the FID of eval.fid_n %lld samples (eval.fid_ref %s, eval.fid_features %s) "
                     "failed: %s; the bits/dim of this evaluation is in log.jsonl", (long long)t->step,
                     c->eval.fid_n, c->eval.fid_ref, c->eval.fid_features, fid_why);
  }
  return VDMC_OK;
}
