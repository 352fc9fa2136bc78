// Where ZeRO-1's time goes on each rank (mpi.zero_stage: 1, docs/mpi.md): the calls
// one training step makes after backward, through GradSync as the trainer makes them,
// timed per rank: the reduce-scatter of the gradient (grad_sync_finish: the log's
// sync_wait), the metrics reduction that follows it (reduce_metrics, in the log's
// optimizer phase) and the all-gather of the fp32 weights (grad_sync_allgather_params:
// the log's allgather). Every step starts at a barrier, as after a backward of equal
// length on every rank, so what is left is the link and the algorithms. Baseline,
// measured in the same run: one message of a shard's fp32 bytes from rank 0 to rank 1
// (MPI_Send, answered by one float), the time one block takes over the link. Per rank
// the fastest of STEPS steps (a link-bound time; the median is printed too) and its
// ratio to the baseline. docs/scaling.md, "ZeRO-1 against its runs", has what the model
// says each ratio is at P = 2 (reduce 2 blocks + scatter 1 on the last rank).
//   mpirun -n 2 build/profiling/bench_zero1 [FLOATS [fp32|bf16]]
// Defaults: the default config's 672,721 parameters (configs/fmnist.yaml), fp32 wire.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_times.h"
#include "core/param_table.h"
#include "core/status.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"
#include "mpi/reduce.h"

enum { STEPS = 15, CALLS = 3, METRICS = 12 };
static const char *const call_names[CALLS] = {"reduce-scatter (sync_wait)", "metrics reduction (optimizer)",
                                              "all-gather (allgather)"};

static void fail(const char *what) {
  fprintf(stderr, "bench_zero1: %s: %s\n", what, vdmc_error_message());
  MPI_Abort(MPI_COMM_WORLD, 1);
}

// Seconds of one rank-0 -> rank-1 message of n floats, seen by rank 0 (the answer's
// float is one small message more); the fastest of STEPS.
static double time_one_way(float *buf, size_t n, const VdmcComm *c) {
  double t[STEPS];
  for (int s = 0; s < STEPS; s++) {
    MPI_Barrier(c->comm);
    double t0 = MPI_Wtime();
    if (c->rank == 0) {
      MPI_Send(buf, (int)n, MPI_FLOAT, 1, 0, c->comm);
      MPI_Recv(buf, 1, MPI_FLOAT, 1, 1, c->comm, MPI_STATUS_IGNORE);
    } else if (c->rank == 1) {
      MPI_Recv(buf, (int)n, MPI_FLOAT, 0, 0, c->comm, MPI_STATUS_IGNORE);
      MPI_Send(buf, 1, MPI_FLOAT, 0, 1, c->comm);
    }
    t[s] = MPI_Wtime() - t0;
  }
  bench_times_sort(t, STEPS);
  return t[0];
}

int main(int argc, char **argv) {
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) fail("MPI");
  size_t floats = argc > 1 ? strtoull(argv[1], NULL, 10) : 672721;
  int bf16 = argc > 2 && !strcmp(argv[2], "bf16");
  if (c.size < 2 || floats < (size_t)c.size || (argc > 2 && !bf16 && strcmp(argv[2], "fp32"))) {
    if (c.rank == 0) fprintf(stderr, "usage: mpirun -n P>=2 bench_zero1 [FLOATS >= P [fp32|bf16]]\n");
    vdmc_mpi_finalize();
    return 2;
  }
  ParamTable t;
  param_table_init(&t);
  size_t shape[1] = {floats};
  param_table_add(&t, "w", 1, shape, 1, NULL);
  size_t total = grad_sync_padded_total(&t, c.size);
  float *grads = vdmc_alloc_floats(total), *params = vdmc_alloc_floats(total);
  if (!grads || !params) fail("out of memory");
  for (size_t i = 0; i < total; i++) grads[i] = params[i] = (float)((i * 2654435761u) % 1000) * 1e-3f;
  GradSync g;
  if (grad_sync_init(&g, c.comm, &t, grads, total, 1, GRAD_SYNC_PROGRESS_CALLS, bf16 ? GRAD_SYNC_BF16 : GRAD_SYNC_FP32))
    fail("grad_sync_init");

  double one_way = time_one_way(params, g.shard_len, &c);
  double spent[CALLS][STEPS], local[METRICS] = {0};  // (calls, steps) seconds on this rank
  MetricStat m[METRICS];
  for (int s = 0; s < STEPS; s++) {
    MPI_Barrier(c.comm);
    double t0 = MPI_Wtime();
    grad_sync_begin(&g);
    if (grad_sync_finish(&g)) fail("reduce-scatter");
    double t1 = MPI_Wtime();
    if (reduce_metrics(local, m, METRICS, c.comm)) fail("metrics reduction");
    double t2 = MPI_Wtime();
    if (grad_sync_allgather_params(&g, params)) fail("all-gather");
    spent[0][s] = t1 - t0, spent[1][s] = t2 - t1, spent[2][s] = MPI_Wtime() - t2;
  }
  double mine[2 * CALLS], *all = malloc((size_t)c.size * sizeof mine);  // (P, fastest/median per call)
  if (!all) fail("out of memory");
  for (int k = 0; k < CALLS; k++) {
    bench_times_sort(spent[k], STEPS);
    mine[2 * k] = spent[k][0], mine[2 * k + 1] = spent[k][STEPS / 2];
  }
  MPI_Gather(mine, 2 * CALLS, MPI_DOUBLE, all, 2 * CALLS, MPI_DOUBLE, 0, c.comm);
  if (c.rank == 0) {
    printf("bench_zero1: P = %d ranks, %zu parameters, gradient wire %s, shard %zu floats (%.3f MB fp32), %d steps\n",
           c.size, total, bf16 ? "bf16" : "fp32", g.shard_len, 4e-6 * (double)g.shard_len, STEPS);
    printf("one shard rank 0 -> rank 1 (baseline): %.2f ms\n", 1e3 * one_way);
    for (int r = 0; r < c.size; r++)
      for (int k = 0; k < CALLS; k++)
        printf("rank %d %-30s fastest %8.2f ms (median %8.2f)  ratio to one shard %.2f\n", r, call_names[k],
               1e3 * all[r * 2 * CALLS + 2 * k], 1e3 * all[r * 2 * CALLS + 2 * k + 1],
               all[r * 2 * CALLS + 2 * k] / one_way);
  }
  free(all);
  grad_sync_free(&g);
  vdmc_free_floats(grads);
  vdmc_free_floats(params);
  param_table_free(&t);
  vdmc_mpi_finalize();
  return 0;
}
