// What the bf16 gradient sum (mpi.reduce_precision: bf16, docs/mpi.md) costs where
// the link is not the limit: one step's gradient sum through GradSync (begin, every
// bucket launched, finish) with the bf16 wire against the fp32 wire (the baseline),
// on the ranks of this mpirun (on one host: shared memory), and the conversions alone
// (pack_bf16 + widen_bf16 of the whole gradient) against a memcpy of it. Time per call:
// max over ranks, mean over a batch, the fastest of TRIALS batches (median printed too).
//   mpirun -n 2 build/profiling/bench_reduce_bf16 [FLOATS [BUCKET_FLOATS]]
// Defaults: the default config's 672,721 gradients in buckets of 0.1 MiB (configs/fmnist.yaml).
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/param_table.h"
#include "core/status.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"
#include "ops/bf16.h"

enum { TRIALS = 7, ITERS = 20, TENSORS = 64 };

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// Fastest and median of TRIALS batch means (seconds per call).
typedef struct {
  double best, median;
} Timing;

static Timing summarize(double *t) {
  qsort(t, TRIALS, sizeof *t, cmp_double);
  return (Timing){t[0], t[TRIALS / 2]};
}

// One gradient sum per call; the gradient is restored from `init` before each (outside the timing).
static Timing time_sync(MPI_Comm comm, const ParamTable *t, float *grads, const float *init, size_t total,
                        size_t bucket, GradSyncPrecision precision) {
  GradSync g;
  if (grad_sync_init(&g, comm, t, grads, bucket, 0, GRAD_SYNC_PROGRESS_CALLS, precision)) {
    fprintf(stderr, "bench_reduce_bf16: %s\n", vdmc_error_message());
    MPI_Abort(comm, 1);
  }
  double trial[TRIALS];
  for (int k = 0; k < TRIALS; k++) {
    double sum = 0;
    for (int it = -1; it < ITERS; it++) {
      memcpy(grads, init, total * sizeof *grads);
      MPI_Barrier(comm);
      double t0 = MPI_Wtime();
      grad_sync_begin(&g);
      int rc = grad_sync_ready_from(&g, 0);
      if (!rc) rc = grad_sync_finish(&g);
      if (rc) {
        fprintf(stderr, "bench_reduce_bf16: %s\n", vdmc_error_message());
        MPI_Abort(comm, 1);
      }
      if (it >= 0) sum += MPI_Wtime() - t0;
    }
    trial[k] = sum / ITERS;
    MPI_Allreduce(MPI_IN_PLACE, &trial[k], 1, MPI_DOUBLE, MPI_MAX, comm);
  }
  grad_sync_free(&g);
  return summarize(trial);
}

// pack + widen of n floats (convert = 1) or a memcpy of them (convert = 0), on this rank.
static Timing time_conversion(float *dst, const float *src, uint16_t *wire, size_t n, int convert) {
  double trial[TRIALS];
  for (int k = 0; k < TRIALS; k++) {
    double t0 = MPI_Wtime();
    for (int it = 0; it < ITERS; it++) {
      if (convert) {
        pack_bf16(wire, src, n);
        widen_bf16(dst, wire, n);
      } else {
        memcpy(dst, src, n * sizeof *dst);
      }
    }
    trial[k] = (MPI_Wtime() - t0) / ITERS;
  }
  return summarize(trial);
}

int main(int argc, char **argv) {
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) {
    fprintf(stderr, "bench_reduce_bf16: %s\n", vdmc_error_message());
    return 1;
  }
  size_t floats = argc > 1 ? strtoull(argv[1], NULL, 10) : 672721;
  size_t bucket = argc > 2 ? strtoull(argv[2], NULL, 10) : 26214;  // 0.1 MiB of floats
  if (floats < TENSORS || bucket < 1) {
    if (c.rank == 0) fprintf(stderr, "bench_reduce_bf16: FLOATS must be >= %d, BUCKET_FLOATS >= 1\n", TENSORS);
    vdmc_mpi_finalize();
    return 2;
  }
  ParamTable t;
  param_table_init(&t);
  for (int i = 0; i < TENSORS; i++) {
    char name[16];
    size_t shape[1] = {floats / TENSORS + (i < (int)(floats % TENSORS))};
    snprintf(name, sizeof name, "t%d", i);
    param_table_add(&t, name, 1, shape, 1, NULL);
  }
  size_t total = grad_sync_padded_total(&t, c.size);
  float *grads = vdmc_alloc_floats(total), *init = vdmc_alloc_floats(total);
  uint16_t *wire = malloc(total * sizeof *wire);
  for (size_t i = 0; i < total; i++) init[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;

  Timing f32 = time_sync(c.comm, &t, grads, init, total, bucket, GRAD_SYNC_FP32);
  Timing b16 = time_sync(c.comm, &t, grads, init, total, bucket, GRAD_SYNC_BF16);
  Timing copy = time_conversion(grads, init, wire, total, 0);
  Timing conv = time_conversion(grads, init, wire, total, 1);
  if (c.rank == 0) {
    int n_buckets = 0;
    GradBucket *plan = calloc(t.count + 1, sizeof *plan);
    if (plan) n_buckets = grad_sync_plan_buckets(&t, total, bucket, plan);
    free(plan);
    printf("bench_reduce_bf16: P = %d ranks, %zu gradients (%.2f MB fp32) in %d buckets of <= %zu floats\n", c.size,
           total, 4e-6 * (double)total, n_buckets, bucket);
    printf("gradient sum, fp32 wire (baseline) %8.3f ms (median %.3f)\n", 1e3 * f32.best, 1e3 * f32.median);
    printf("gradient sum, bf16 wire            %8.3f ms (median %.3f)   ratio bf16/fp32 %.2f\n", 1e3 * b16.best,
           1e3 * b16.median, b16.best / f32.best);
    printf("memcpy of the gradient (baseline)  %8.3f ms (median %.3f)\n", 1e3 * copy.best, 1e3 * copy.median);
    printf("pack_bf16 + widen_bf16             %8.3f ms (median %.3f)   ratio to memcpy %.2f\n", 1e3 * conv.best,
           1e3 * conv.median, conv.best / copy.best);
  }
  free(wire);
  vdmc_free_floats(grads);
  vdmc_free_floats(init);
  param_table_free(&t);
  vdmc_mpi_finalize();
  return 0;
}
