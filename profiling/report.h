// The parts of profiling/report (report.c: the log intervals; report_eval.c: the
// evaluations during training).
#ifndef VDMC_PROFILING_REPORT_H
#define VDMC_PROFILING_REPORT_H

#include "io/plot.h"
#include "run_log.h"

// Writes DIR/NAME with n_series lines y[k] over x (n points each) on ax (NULL: from
// the data) and prints "wrote DIR/NAME".
int report_plot(const char *dir, const char *name, const PlotAxes *ax, const double *x, double *const *y,
                int n_series, int n);

// The table of the evaluations (last and best of eval_bpd, eval_fid, eval_is with
// their steps and images) and one machine-readable EVAL line; nothing without any.
void report_eval_table(const RunLog *log);
// eval_bpd.png, and eval_fid.png and eval_is.png when a line has a FID: each value
// over the images seen. Nothing without evaluations.
int report_eval_plots(const RunLog *log, const char *dir);

#endif
