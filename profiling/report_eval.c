// profiling/report's evaluations during training (report.h): the eval_* lines of
// log.jsonl as a table of last and best values and as plots over the images seen.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "report.h"

// The values reported, in table order. higher: the best is the highest (the
// Inception Score), else the lowest (bits/dim, FID).
enum { METRICS = 3 };
static const struct {
  const char *key, *png;
  int higher;
} metrics[METRICS] = {{"eval_bpd", "eval_bpd.png", 0}, {"eval_fid", "eval_fid.png", 0}, {"eval_is", "eval_is.png", 1}};

// Metric m of an evaluation; NAN when the line has none (a FID-less line).
static double value(const RunLogEval *e, int m) {
  if (m == 0) return e->bpd;
  if (!e->has_fid) return NAN;
  return m == 1 ? e->fid : e->is_mean;
}

// Indices of the last and best evaluations with metric m; -1 when no line has it.
static void last_and_best(const RunLog *log, int m, int *last, int *best) {
  *last = *best = -1;
  for (int i = 0; i < log->n_eval; i++) {
    double v = value(&log->eval[i], m);
    if (isnan(v)) continue;
    *last = i;
    double b = *best < 0 ? NAN : value(&log->eval[*best], m);
    if (*best < 0 || (metrics[m].higher ? v > b : v < b)) *best = i;  // the first of equal values
  }
}

void report_eval_table(const RunLog *log) {
  if (log->n_eval == 0) return;
  printf("evaluations: %d lines, steps %.0f to %.0f (the best: lowest bpd and fid, highest is)\n", log->n_eval,
         log->eval[0].step, log->eval[log->n_eval - 1].step);
  printf("%-10s %12s %10s %12s %12s %10s %12s\n", "metric", "last", "step", "images", "best", "step", "images");
  char summary[1024] = "EVAL";
  size_t used = 4;
  for (int m = 0; m < METRICS; m++) {
    int last, best;
    last_and_best(log, m, &last, &best);
    if (last < 0) continue;
    const RunLogEval *l = &log->eval[last], *b = &log->eval[best];
    printf("%-10s %12.6g %10.0f %12.0f %12.6g %10.0f %12.0f\n", metrics[m].key, value(l, m), l->step, l->images,
           value(b, m), b->step, b->images);
    const char *name = metrics[m].key + 5;  // without "eval_"
    used += (size_t)snprintf(summary + used, sizeof summary - used,
                             " %s_last=%.17g %s_last_step=%.0f %s_best=%.17g %s_best_step=%.0f", name, value(l, m),
                             name, l->step, name, value(b, m), name, b->step);
  }
  printf("%s evaluations=%d\n", summary, log->n_eval);
}

int report_eval_plots(const RunLog *log, const char *dir) {
  int n = log->n_eval;
  if (n == 0) return VDMC_OK;
  double *buf = malloc((size_t)n * 2 * sizeof(double));
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  double *x = buf, *y = buf + n;
  int rc = VDMC_OK;
  for (int m = 0; m < METRICS && !rc; m++) {
    int k = 0;  // the lines that have metric m, in file order
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n; i++) {
      double v = value(&log->eval[i], m);
      if (isnan(v)) continue;
      x[k] = log->eval[i].images, y[k++] = v;
      lo = fmin(lo, v), hi = fmax(hi, v);
    }
    if (k == 0) continue;
    // the range of the values, not from 0: a bits/dim falling from 3.9 to 3.8 stays visible
    double pad = hi > lo ? 0.05 * (hi - lo) : 0;
    PlotAxes ax = {.y_min = lo - pad, .y_max = hi + pad};
    rc = report_plot(dir, metrics[m].png, &ax, x, &y, 1, k);
  }
  free(buf);
  return rc;
}
