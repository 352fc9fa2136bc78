// The small per-step collectives besides the gradients (docs/design.md, Collectives are few and named):
// the adaptive-schedule bins (sum and count per bin), and the step metrics reduced
// to sum/min/max over ranks in one call (the training step also sends its
// non-finite and stop flags through it, as maxima).
#ifndef VDMC_MPI_REDUCE_H
#define VDMC_MPI_REDUCE_H

#include <mpi.h>

// In place: every rank ends with the elementwise sum (e.g. bin sums then counts).
int reduce_sum_doubles(double *values, int n, MPI_Comm comm);

typedef struct {
  double sum, min, max;
} MetricStat;

// One collective: for each of the n local values, the sum, min and max over ranks.
int reduce_metrics(const double *local, MetricStat *out, int n, MPI_Comm comm);

#endif
