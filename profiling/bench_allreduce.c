// Allreduce microbenchmark: MPI_Allreduce and MPI_Iallreduce+MPI_Wait (SUM) of
// float buffers from 4 B to 64 MB (x4 steps), time per call (max over ranks,
// mean over repetitions), algorithm bandwidth bytes/t and ring bus bandwidth
// 2(P-1)/P bytes/t. Fits the ring model t = 2(P-1) alpha + 2(P-1)/P bytes/beta
// by least squares on relative error (weights 1/t^2, so small and large sizes
// both count) and prints alpha (latency) and beta (bandwidth) as FIT lines that
// profiling/scaling_model reads (docs/scaling.md).
//   mpirun -n 2 build/profiling/bench_allreduce [MAX_BYTES]
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

enum { MAX_SIZES = 32 };

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

int main(int argc, char **argv) {
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) return 1;
  double max_bytes = argc > 1 ? atof(argv[1]) : 64.0 * 1024 * 1024;
  size_t max_n = (size_t)(max_bytes / 4);
  float *buf = malloc((max_n ? max_n : 1) * sizeof(float));
  if (!buf || max_n < 1) vdmc_mpi_abort(&c, "bench_allreduce: bad size or out of memory");
  for (size_t i = 0; i < max_n; i++) buf[i] = 0;  // zeros stay zeros under SUM: no overflow over repetitions
  int P = c.size;
  double bytes[MAX_SIZES], t[2][MAX_SIZES];
  int ns = 0;
  if (c.rank == 0)
    printf("== bench_allreduce: P = %d, float SUM, time per call (max over ranks)\n"
           "%12s %14s %10s %10s %16s\n", P, "bytes", "allreduce_us", "alg_GB/s", "bus_GB/s", "iallreduce_us");
  for (size_t n = 1; n <= max_n && ns < MAX_SIZES; n *= 4, ns++) {
    bytes[ns] = 4.0 * (double)n;
    int iters = (int)fmin(1000, fmax(3, 2e7 / bytes[ns]));
    t[0][ns] = time_calls(buf, n, iters, 0, c.comm);
    t[1][ns] = time_calls(buf, n, iters, 1, c.comm);
    if (c.rank == 0)
      printf("%12.0f %14.2f %10.3f %10.3f %16.2f\n", bytes[ns], 1e6 * t[0][ns], bytes[ns] / t[0][ns] / 1e9,
             2.0 * (P - 1) / P * bytes[ns] / t[0][ns] / 1e9, 1e6 * t[1][ns]);
  }
  if (c.rank == 0 && ns >= 2 && P > 1) {
    static const char *const names[2] = {"allreduce", "iallreduce"};
    for (int k = 0; k < 2; k++) {
      double a, b, worst = 0;
      fit_line(bytes, t[k], ns, &a, &b);
      for (int i = 0; i < ns; i++) worst = fmax(worst, fabs(a + b * bytes[i] - t[k][i]) / t[k][i]);
      double alpha = a / (2.0 * (P - 1)), beta = 2.0 * (P - 1) / P / b;
      printf("FIT %s P=%d alpha_s=%.4g beta_Bps=%.4g (ring model t = 2(P-1)alpha + 2(P-1)/P bytes/beta; "
             "worst relative residual %.0f%%)\n", names[k], P, alpha, beta, 100 * worst);
    }
  }
  free(buf);
  vdmc_mpi_finalize();
  return 0;
}
