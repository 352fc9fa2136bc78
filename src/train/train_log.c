#define _POSIX_C_SOURCE 200809L  // fileno, fsync
#include "train/train_log.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "core/output_file.h"
#include "core/status.h"

int train_log_open(TrainLog *l, const Trainer *t) {
  memset(l, 0, sizeof *l);
  l->rank = t->comm.rank;
  l->size = t->comm.size;
  l->t_start = l->t_last = MPI_Wtime();
  l->step_last = t->step;
  if (l->rank != 0) return VDMC_OK;
  char path[4200];
  snprintf(path, sizeof path, "%s/log.jsonl", t->run_dir);
  int status = output_file_check(path);
  if (status) return status;
  l->jsonl = fopen(path, "a");  // appended across resumes: one file per run
  if (!l->jsonl) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
  return VDMC_OK;
}

static void format_duration(char *buf, size_t n, double s) {
  if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
  else if (s >= 3600) snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
  else snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
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
    char etab[32];
    format_duration(etab, sizeof etab, eta);
    fprintf(stderr, "step %lld/%lld  loss %.5f (ema %.5f)  lr %.2e  grad %.3f  %.1f img/s  eta %s  skipped %lld\n",
            (long long)t->step, steps_total, loss, l->loss_ema, st->lr, gnorm, ips, etab,
            (long long)t->skipped_total);
    FILE *f = l->jsonl;
    fprintf(f, "{\"step\": %lld, \"images\": %lld, \"loss\": %.8g, \"loss_std\": %.8g, \"loss_ema\": %.8g, \"lr\": %.8g, "
            "\"grad_norm\": %.8g, \"img_per_s\": %.6g, \"eta_s\": %.6g, \"skipped\": %lld, \"ranks\": %d, "
            "\"phases\": {",
            (long long)t->step, (long long)t->images_seen, loss, loss_std, l->loss_ema, st->lr, gnorm, ips,
            isfinite(eta) ? eta : -1.0, (long long)t->skipped_total, l->size);
    for (int p = 0; p < PHASE_COUNT; p++) {
      double k = l->n_phase ? l->n_phase : 1;
      fprintf(f, "%s\"%s\": {\"min\": %.6g, \"mean\": %.6g, \"max\": %.6g}", p ? ", " : "",
              train_phase_names[p], l->phase_sum[p].min / k, l->phase_sum[p].sum / k / l->size,
              l->phase_sum[p].max / k);
    }
    fprintf(f, "}, \"sync_launched_early\": %.4g}\n", t->sync.launched_before_finish);
    if (fflush(f) != 0) return vdmc_fail(VDMC_ERR_IO, "log.jsonl: write failed: %s", strerror(errno));
  }
  l->t_last = now;
  l->step_last = t->step;
  l->loss_sum = l->loss_std_sum = l->gnorm_sum = 0;
  l->n = l->n_norm = l->n_phase = 0;
  memset(l->phase_sum, 0, sizeof l->phase_sum);
  return VDMC_OK;
}

void train_log_close(TrainLog *l) {
  if (l->jsonl) fclose(l->jsonl);
  l->jsonl = NULL;
}
