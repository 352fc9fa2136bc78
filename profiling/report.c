// profiling/report RUN_DIR [--out DIR]: reads RUN_DIR/log.jsonl and prints one row
// per log interval (throughput, loss, phase means, exposed sync, load imbalance),
// a steady-state summary (intervals after the first, which holds start-up), the
// evaluations during training (report_eval.c), and writes throughput.png,
// phases.png, imbalance.png and the eval_*.png plots to DIR (default RUN_DIR).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "report.h"

// Spread of forward+backward over ranks relative to the mean: (max - min) / mean.
// min and max are per phase, so this bounds the spread of the per-rank sums.
static double imbalance(const RunLogRecord *r) {
  const PhaseStat *f = &r->phase[PHASE_FORWARD], *b = &r->phase[PHASE_BACKWARD];
  double mean = f->mean + b->mean;
  double spread = f->max + b->max - f->min - b->min;
  return mean > 0 && spread > 0 ? spread / mean : 0;  // spread < 0 only by rounding (one rank)
}

static double sync_exposed(const RunLogRecord *r) {
  double t = run_log_step_seconds(r);
  return t > 0 ? r->phase[PHASE_SYNC_WAIT].mean / t : 0;
}

static void print_row(const char *label, const RunLogRecord *r) {
  printf("%-8s %8.2f %9.5f", label, r->img_per_s, r->loss);
  for (int p = 0; p < PHASE_COUNT; p++) printf(" %10.2f", 1e3 * r->phase[p].mean);
  printf(" %7.1f %7.1f %7.1f\n", 100 * sync_exposed(r), 100 * imbalance(r), 100 * r->sync_launched_early);
}

int report_plot(const char *dir, const char *name, const PlotAxes *ax, const double *x, double *const *y,
                int n_series, int n) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  PlotSeries s[PHASE_COUNT];
  if (n_series > PHASE_COUNT) return vdmc_fail(VDMC_ERR_INTERNAL, "plot %s: %d series", path, n_series);
  for (int k = 0; k < n_series; k++) {
    s[k] = (PlotSeries){.x = x, .y = y[k], .n = n};
    memcpy(s[k].rgb, plot_color(k), 3);
  }
  PlotAxes from_data = {0};
  int rc = plot_write_png(path, ax ? ax : &from_data, s, n_series);
  if (!rc) printf("wrote %s\n", path);
  return rc;
}

static int write_plots(const RunLog *log, const char *dir) {
  int n = log->n;
  double *buf = calloc((size_t)n * (PHASE_COUNT + 3), sizeof(double));
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  double *step = buf, *ips = buf + n, *imb = buf + 2 * n, *ph[PHASE_COUNT];
  for (int p = 0; p < PHASE_COUNT; p++) ph[p] = buf + (size_t)(3 + p) * n;
  for (int i = 0; i < n; i++) {
    const RunLogRecord *r = &log->rec[i];
    step[i] = r->step, ips[i] = r->img_per_s, imb[i] = 100 * imbalance(r);
    for (int p = 0; p < PHASE_COUNT; p++) ph[p][i] = 1e3 * r->phase[p].mean;
  }
  int rc = report_plot(dir, "throughput.png", NULL, step, &ips, 1, n);
  if (!rc) rc = report_plot(dir, "phases.png", NULL, step, ph, PHASE_COUNT, n);
  if (!rc) rc = report_plot(dir, "imbalance.png", NULL, step, &imb, 1, n);
  free(buf);
  return rc;
}

static int run(int argc, char **argv) {
  const char *run_dir = NULL, *out = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else if (argv[i][0] != '-' && !run_dir) run_dir = argv[i];
    else return vdmc_fail(VDMC_ERR_INPUT, "unexpected argument '%s' (usage: report RUN_DIR [--out DIR])", argv[i]);
  }
  if (!run_dir) return vdmc_fail(VDMC_ERR_INPUT, "usage: report RUN_DIR [--out DIR]");
  if (!out) out = run_dir;
  char path[4200];
  snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
  RunLog log;
  int rc = run_log_read(&log, path);
  if (rc) return rc;
  printf("run %s: %d intervals, %.0f ranks, last step %.0f\n", run_dir, log.n, log.rec[0].ranks,
         log.rec[log.n - 1].step);
  printf("%-8s %8s %9s", "step", "img/s", "loss");
  for (int p = 0; p < PHASE_COUNT; p++) printf(" %10s", train_phase_names[p]);
  printf(" %7s %7s %7s\n", "sync%", "imbal%", "early%");
  printf("%-8s %8s %9s %*s\n", "", "", "", 11 * PHASE_COUNT - 1, "(phase means over ranks, ms per step)");
  for (int i = 0; i < log.n; i++) {
    char label[32];
    snprintf(label, sizeof label, "%.0f", log.rec[i].step);
    print_row(label, &log.rec[i]);
  }
  RunLogRecord avg;
  int first = log.n > 1 ? 1 : 0;
  run_log_average(&log, first, &avg);
  print_row(first ? "steady" : "all", &avg);
  printf("sync%%: sync_wait / step time (exposed communication); imbal%%: (max - min) / mean of forward+backward "
         "over ranks; early%%: gradient buffer in flight before backward ended\n");
  // one machine-readable line for scripts (profiling/scaling.sh)
  // sync_wait_min_s: the wait of the rank that arrived last at the gradient sum, i.e.
  // the communication left exposed without the load-imbalance wait (docs/scaling.md);
  // allgather_*: ZeRO-1's all-gather of the weights, mean / min / max over ranks
  const PhaseStat *sw = &avg.phase[PHASE_SYNC_WAIT], *ag = &avg.phase[PHASE_ALLGATHER];
  printf("SUMMARY img_per_s=%.6g step_s=%.6g compute_s=%.6g sync_wait_s=%.6g sync_wait_min_s=%.6g sync_wait_max_s=%.6g "
         "allgather_s=%.6g allgather_min_s=%.6g allgather_max_s=%.6g sync_exposed=%.4f "
         "imbalance=%.4f launched_early=%.4f ranks=%.0f intervals=%d\n",
         avg.img_per_s, run_log_step_seconds(&avg), avg.phase[PHASE_FORWARD].mean + avg.phase[PHASE_BACKWARD].mean,
         sw->mean, sw->min, sw->max, ag->mean, ag->min, ag->max, sync_exposed(&avg), imbalance(&avg),
         avg.sync_launched_early, avg.ranks, log.n - first);
  printf("plots: throughput.png (img/s), phases.png (ms per step:");
  static const char *const colour_names[] = {"blue", "orange", "green", "red", "purple", "brown", "pink"};
  for (int p = 0; p < PHASE_COUNT; p++) printf(" %s=%s", train_phase_names[p], colour_names[p]);
  printf("), imbalance.png (%%), all over steps\n");
  report_eval_table(&log);
  rc = write_plots(&log, out);
  if (!rc) rc = report_eval_plots(&log, out);
  run_log_free(&log);
  return rc;
}

int main(int argc, char **argv) {
  if (run(argc, argv)) {
    fprintf(stderr, "report: %s\n", vdmc_error_message());
    return 1;
  }
  return 0;
}
