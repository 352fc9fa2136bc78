// Repeated timings of a benchmark: sorted ascending in place, so t[0] is the fastest
// run and t[n / 2] the median (used by bench_fid and bench_fid_pipeline).
#ifndef VDMC_PROFILING_BENCH_TIMES_H
#define VDMC_PROFILING_BENCH_TIMES_H

#include <stdlib.h>

static int bench_times_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static inline void bench_times_sort(double *t, int n) { qsort(t, (size_t)n, sizeof *t, bench_times_cmp); }

#endif
