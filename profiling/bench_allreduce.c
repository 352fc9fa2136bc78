// Allreduce microbenchmark: MPI_Allreduce and MPI_Iallreduce+MPI_Wait (SUM) of
// float buffers from 4 B to 64 MB (x4 steps). Time per call: max over ranks, mean
// over a batch of calls, the fastest of TRIALS batches (a shared machine's
// scheduler adds long outliers; the median is printed too). Prints algorithm
// bandwidth bytes/t and ring bus bandwidth 2(P-1)/P bytes/t, then fits the ring
// model t = 2(P-1) alpha + 2(P-1)/P bytes/beta by least squares on relative error
// over all sizes, the latency regime and the bandwidth regime; the MODEL line
// (alpha from the first, beta from the second) is what profiling/scaling_model
// reads (docs/scaling.md).
//   mpirun -n 2 build/profiling/bench_allreduce [MAX_BYTES]
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

enum { MAX_SIZES = 32, TRIALS = 5 };

// Seconds per call: `iters` calls after one warm-up, max over ranks.
static double time_calls(float *buf, size_t n, int iters, int nonblocking, MPI_Comm comm) {
  double t = 0;
  for (int it = -1; it < iters; it++) {
    if (it == 0) MPI_Barrier(comm), t = MPI_Wtime();
    if (nonblocking) {
      MPI_Request req;
      MPI_Iallreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, comm, &req);
      MPI_Wait(&req, MPI_STATUS_IGNORE);
    } else {
      MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_FLOAT, MPI_SUM, comm);
    }
  }
  t = (MPI_Wtime() - t) / iters;
  MPI_Allreduce(MPI_IN_PLACE, &t, 1, MPI_DOUBLE, MPI_MAX, comm);
  return t;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// Fastest and median of TRIALS batches.
static void time_trials(float *buf, size_t n, int iters, int nonblocking, MPI_Comm comm, double *best, double *median) {
  double t[TRIALS];
  for (int k = 0; k < TRIALS; k++) t[k] = time_calls(buf, n, iters, nonblocking, comm);
  qsort(t, TRIALS, sizeof t[0], cmp_double);
  *best = t[0], *median = t[TRIALS / 2];
}

// Weighted least squares of t = a + b * x with weights 1/t^2.
static void fit_line(const double *x, const double *t, int n, double *a, double *b) {
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int i = 0; i < n; i++) {
    double w = 1 / (t[i] * t[i]);
    sw += w, sx += w * x[i], sy += w * t[i], sxx += w * x[i] * x[i], sxy += w * x[i] * t[i];
  }
  double det = sw * sxx - sx * sx;
  *b = (sw * sxy - sx * sy) / det;
  *a = (sy - *b * sx) / sw;
}

// Least squares of the ring model over sizes in [lo, hi] bytes -> alpha, beta.
static int fit_range(const double *bytes, const double *t, int ns, int P, double lo, double hi, double *alpha,
                     double *beta, double *worst) {
  double x[MAX_SIZES], y[MAX_SIZES];
  int m = 0;
  for (int i = 0; i < ns; i++)
    if (bytes[i] >= lo && bytes[i] <= hi) x[m] = bytes[i], y[m++] = t[i];
  if (m < 2) return 0;
  double a, b;
  fit_line(x, y, m, &a, &b);
  *worst = 0;
  for (int i = 0; i < m; i++) *worst = fmax(*worst, fabs(a + b * x[i] - y[i]) / y[i]);
  *alpha = a / (2.0 * (P - 1)), *beta = 2.0 * (P - 1) / P / b;
  return 1;
}

// One fit over all sizes, one over the latency regime (<= 4 KiB) and one over the
// bandwidth regime (>= 1 MiB, where gradient buckets live); the MODEL line takes
// alpha from the first regime and beta from the second.
static void print_fits(const double *bytes, double (*t)[MAX_SIZES], int ns, int P) {
  static const char *const kinds[2] = {"allreduce", "iallreduce"};
  static const struct {
    const char *name;
    double lo, hi;
  } ranges[3] = {{"all", 0, 1e300}, {"small<=4KiB", 0, 4096}, {"large>=1MiB", 1048576, 1e300}};
  for (int k = 0; k < 2; k++) {
    double alpha[3] = {0}, beta[3] = {0}, worst;
    for (int r = 0; r < 3; r++)
      if (fit_range(bytes, t[k], ns, P, ranges[r].lo, ranges[r].hi, &alpha[r], &beta[r], &worst))
        printf("FIT %s %s P=%d alpha_s=%.4g beta_Bps=%.4g (worst relative residual %.0f%%)\n", kinds[k],
               ranges[r].name, P, alpha[r], beta[r], 100 * worst);
    printf("MODEL %s P=%d alpha_s=%.4g beta_Bps=%.4g (alpha from the small fit, beta from the large fit)\n", kinds[k],
           P, alpha[1], beta[2]);
  }
  printf("ring model t = 2(P-1) alpha + 2(P-1)/P bytes / beta, least squares on relative error (weights 1/t^2) "
         "of the fastest batch per size\n");
}

int main(int argc, char **argv) {
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) return 1;
  double max_bytes = argc > 1 ? atof(argv[1]) : 64.0 * 1024 * 1024;
  size_t max_n = (size_t)(max_bytes / 4);
  float *buf = malloc((max_n ? max_n : 1) * sizeof(float));
  if (!buf || max_n < 1) vdmc_mpi_abort(&c, "bench_allreduce: bad size or out of memory");
  for (size_t i = 0; i < max_n; i++) buf[i] = 0;  // zeros stay zeros under SUM: no overflow over repetitions
  int P = c.size;
  double bytes[MAX_SIZES], t[2][MAX_SIZES], med[2][MAX_SIZES];
  int ns = 0;
  if (c.rank == 0)
    printf("== bench_allreduce: P = %d, float SUM, time per call (max over ranks)\n"
           "%12s %14s %12s %10s %10s %16s %12s\n", P, "bytes", "allreduce_us", "(median)", "alg_GB/s", "bus_GB/s",
           "iallreduce_us", "(median)");
  for (size_t n = 1; n <= max_n && ns < MAX_SIZES; n *= 4, ns++) {
    bytes[ns] = 4.0 * (double)n;
    int iters = (int)fmin(200, fmax(2, 1e7 / bytes[ns]));
    time_trials(buf, n, iters, 0, c.comm, &t[0][ns], &med[0][ns]);
    time_trials(buf, n, iters, 1, c.comm, &t[1][ns], &med[1][ns]);
    if (c.rank == 0)
      printf("%12.0f %14.2f %12.2f %10.3f %10.3f %16.2f %12.2f\n", bytes[ns], 1e6 * t[0][ns], 1e6 * med[0][ns],
             bytes[ns] / t[0][ns] / 1e9, 2.0 * (P - 1) / P * bytes[ns] / t[0][ns] / 1e9, 1e6 * t[1][ns],
             1e6 * med[1][ns]);
  }
  if (c.rank == 0 && ns >= 2 && P > 1) print_fits(bytes, t, ns, P);
  free(buf);
  vdmc_mpi_finalize();
  return 0;
}
