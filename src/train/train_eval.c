#include "train/train_eval.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "mpi/agree.h"
#include "sample/net_denoiser.h"

int train_eval_open(TrainEval *e, Trainer *t) {
  const Config *c = &t->run.cs.values;
  memset(e, 0, sizeof *e);
  e->every = c->run.eval_every;
  e->t_start = MPI_Wtime();
  e->args = (BpdEvalArgs){.path = t->run_dir, .split = "test", .t_samples = BPD_EVAL_T_SAMPLES, .n = c->eval.bpd_n,
                          .batch = t->mb, .seed = (uint64_t)c->run.seed, .quiet = 1};
  if (!e->every) return VDMC_OK;
  if (t->reader) reader_quiesce(t->reader);  // HDF5 is single-threaded: park the prefetcher
  int rc = mpi_agree(t->comm.comm, bpd_eval_check(&e->args, &t->run, t->comm.comm));
  if (rc) {
    char why[1024];  // copied: vdmc_fail writes the buffer vdmc_error_message reads
    snprintf(why, sizeof why, "%s", vdmc_error_message());
    return vdmc_fail(rc, "run.eval_every %d: %s (eval.bpd_n from %s)", e->every, why,
                     config_where(&t->run.cs, "eval.bpd_n"));
  }
  return VDMC_OK;
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
  double now = MPI_Wtime();
  e->seconds += now - t0;
  // rank 0's clock for every rank: the line is the same everywhere
  double times[2] = {now - t0, e->seconds / (now - e->t_start)};
  if ((rc = MPI_STATUS(MPI_Bcast(times, 2, MPI_DOUBLE, 0, t->comm.comm), "eval: MPI_Bcast of the times"))) return rc;
  *line = (TrainEvalLine){.step = t->step, .n = res.n, .bpd = res.mean[0], .bpd_se = res.se[0],
                          .seconds = times[0], .fraction = times[1]};
  *evaluated = 1;
  return VDMC_OK;
}
