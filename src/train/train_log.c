#define _POSIX_C_SOURCE 200809L  // fileno, fsync
#include "train/train_log.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "core/output_file.h"
#include "core/status.h"
#include "train/train_tb.h"

int train_log_open(TrainLog *l, const Trainer *t) {
  memset(l, 0, sizeof *l);
  l->rank = t->comm.rank;
  l->size = t->comm.size;
  l->t_start = l->t_last = MPI_Wtime();
  l->step_last = t->step;
  l->last_bpd = NAN;
  l->last_fid = NAN;
  if (l->rank != 0) return VDMC_OK;
  char path[4200];
  snprintf(path, sizeof path, "%s/log.jsonl", t->run_dir);
  int status = output_file_check(path);
  if (status) return status;
  l->jsonl = fopen(path, "a");  // appended across resumes: one file per run
  if (!l->jsonl) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
  return t->run.cs.values.run.tensorboard ? train_tb_open(&l->tb, t) : VDMC_OK;
}

static void format_duration(char *buf, size_t n, double s) {
  if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
  else if (s >= 3600) snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
  else snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
}

static int write_jsonl(FILE *f, const TrainLogLine *x) {
  fprintf(f, "{\"step\": %lld, \"images\": %lld, \"loss\": %.8g, \"loss_std\": %.8g, \"loss_ema\": %.8g, \"lr\": %.8g, "
          "\"grad_norm\": %.8g, \"img_per_s\": %.6g, \"eta_s\": %.6g, \"skipped\": %lld, \"ranks\": %d, "
          "\"phases\": {",
          x->step, x->images, x->loss, x->loss_std, x->loss_ema, x->lr, x->grad_norm, x->img_per_s, x->eta_s,
          x->skipped, x->ranks);
  for (int p = 0; p < PHASE_COUNT; p++)
    fprintf(f, "%s\"%s\": {\"min\": %.6g, \"mean\": %.6g, \"max\": %.6g}", p ? ", " : "", train_phase_names[p],
            x->phase_min[p], x->phase_mean[p], x->phase_max[p]);
  fprintf(f, "}, \"sync_launched_early\": %.4g}\n", x->sync_launched_early);
  if (fflush(f) != 0) return vdmc_fail(VDMC_ERR_IO, "log.jsonl: write failed: %s", strerror(errno));
  return VDMC_OK;
}

int train_log_step(TrainLog *l, const Trainer *t, const TrainStepStats *st, int force) {
  if (!st->skipped) {
    l->loss_sum += st->loss;
    l->loss_std_sum += st->loss_std;
    l->n++;
    l->loss_ema = l->have_ema ? 0.98 * l->loss_ema + 0.02 * st->loss : st->loss;
    l->have_ema = 1;
    l->gnorm_sum += st->grad_norm;
    l->n_norm++;
  }
  for (int p = 0; p < PHASE_COUNT; p++) {
    l->phase_sum[p].sum += st->phase[p].sum;
    l->phase_sum[p].min += st->phase[p].min;
    l->phase_sum[p].max += st->phase[p].max;
  }
  l->n_phase++;
  long long steps_total = t->run.cs.values.optim.steps;
  if (!force && t->step % t->run.cs.values.run.log_every != 0) return VDMC_OK;
  double now = MPI_Wtime();
  long long done = t->step - l->step_last;
  double ips = done > 0 ? (double)done * t->B / (now - l->t_last) : 0;
  double eta = done > 0 ? (now - l->t_last) / (double)done * (double)(steps_total - t->step) : NAN;
  double loss = l->n ? l->loss_sum / l->n : NAN, loss_std = l->n ? l->loss_std_sum / l->n : NAN;
  double gnorm = l->n_norm ? l->gnorm_sum / l->n_norm : NAN;
  if (l->rank == 0) {
    TrainLogLine line = {.step = t->step, .images = t->images_seen, .skipped = t->skipped_total, .ranks = l->size,
                         .loss = loss, .loss_std = loss_std, .loss_ema = l->loss_ema, .lr = st->lr,
                         .grad_norm = gnorm, .img_per_s = ips, .eta_s = isfinite(eta) ? eta : -1.0,
                         .sync_launched_early = t->sync.launched_before_finish};
    double k = l->n_phase ? l->n_phase : 1;
    for (int p = 0; p < PHASE_COUNT; p++) {
      line.phase_min[p] = l->phase_sum[p].min / k;
      line.phase_mean[p] = l->phase_sum[p].sum / k / l->size;
      line.phase_max[p] = l->phase_sum[p].max / k;
    }
    char etab[32];
    format_duration(etab, sizeof etab, eta);
    char bpd[64] = "";
    if (isfinite(l->last_bpd)) snprintf(bpd, sizeof bpd, "  bpd %.4f", l->last_bpd);
    if (isfinite(l->last_fid)) snprintf(bpd + strlen(bpd), sizeof bpd - strlen(bpd), "  fid %.4g", l->last_fid);
    fprintf(stderr, "step %lld/%lld  loss %.5f (ema %.5f)  lr %.2e  grad %.3f  %.1f img/s  eta %s  skipped %lld%s\n",
            line.step, steps_total, loss, l->loss_ema, st->lr, gnorm, ips, etab, line.skipped, bpd);
    int rc = write_jsonl(l->jsonl, &line);
    if (rc) return rc;
    train_tb_interval(l->tb, t, &line);
  }
  l->t_last = now;
  l->step_last = t->step;
  l->loss_sum = l->loss_std_sum = l->gnorm_sum = 0;
  l->n = l->n_norm = l->n_phase = 0;
  memset(l->phase_sum, 0, sizeof l->phase_sum);
  return VDMC_OK;
}

int train_log_eval(TrainLog *l, const TrainEvalLine *x) {
  l->t_last += x->seconds;  // throughput and eta of the interval are the training's
  l->last_bpd = x->bpd;
  if (x->has_fid) l->last_fid = x->fid;
  if (l->rank != 0) return VDMC_OK;
  char fid[160] = "";
  if (x->has_fid)
    snprintf(fid, sizeof fid, ", FID %.6g, inception score %.4f +- %.4f (%lld samples)", x->fid, x->is_mean, x->is_std,
             x->fid_n);
  fprintf(stderr,
          "step %lld eval: test bits/dim %.6f +- %.6f (%lld examples)%s in %.1f s, %.1f%% of the time so far%s\n",
          x->step, x->bpd, x->bpd_se, x->n, fid, x->seconds, 100 * x->fraction, x->best ? ", the best: kept" : "");
  fprintf(l->jsonl, "{\"step\": %lld, \"images\": %lld, \"eval_bpd\": %.17g, \"eval_bpd_se\": %.8g, \"eval_n\": %lld, ",
          x->step, x->images, x->bpd, x->bpd_se, x->n);
  if (x->has_fid)
    fprintf(l->jsonl, "\"eval_fid\": %.17g, \"eval_is\": %.17g, \"eval_is_std\": %.8g, \"eval_fid_n\": %lld, ", x->fid,
            x->is_mean, x->is_std, x->fid_n);
  fprintf(l->jsonl, "\"eval_s\": %.6g, \"eval_fraction\": %.6g}\n", x->seconds, x->fraction);
  if (fflush(l->jsonl) != 0) return vdmc_fail(VDMC_ERR_IO, "log.jsonl: write failed: %s", strerror(errno));
  train_tb_eval(l->tb, x);
  return VDMC_OK;
}

void train_log_samples(TrainLog *l, const Trainer *t) {
  if (!l->tb) return;
  char png[4300];
  trainer_sample_grid_path(t, png, sizeof png);
  train_tb_samples(l->tb, t, png);
}

void train_log_close(TrainLog *l) {
  if (l->jsonl) fclose(l->jsonl);
  l->jsonl = NULL;
  train_tb_close(l->tb);
  l->tb = NULL;
}
