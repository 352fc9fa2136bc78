#define _POSIX_C_SOURCE 200809L  // nanosleep
// Gradient sync and the small reductions, checked against sums computed locally.
// ctest runs it as a singleton; tests/cli/mpi_sync.sh runs it under mpirun -n 2 and 4.
// Values are small integers so float sums are exact whatever the reduction order, and
// in bf16 too (integers up to 256 are bf16 values): the bf16 wire runs the same checks.
#include <mpi.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "mpi_test.h"
#include "core/param_table.h"
#include "core/status.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"
#include "mpi/reduce.h"

static float value(int rank, size_t i) { return (float)((rank + 1) * ((i % 7) + 1)); }

static void build_table(ParamTable *t) { mpi_test_param_table(t, 1, 37, 101); }

static void sleep_ms(long ms) { nanosleep(&(struct timespec){ms / 1000, ms % 1000 * 1000000L}, NULL); }

static void run_stage(const VdmcComm *c, int zero_stage, GradSyncProgress progress, GradSyncPrecision precision) {
  ParamTable t;
  build_table(&t);
  size_t total = grad_sync_padded_total(&t, c->size);
  CHECK(total % (size_t)c->size == 0 && total >= t.total, "padded total");
  float *grads = vdmc_alloc_floats(total);
  for (size_t i = 0; i < total; i++) grads[i] = value(c->rank, i);
  GradSync g;
  CHECK(grad_sync_init(&g, c->comm, &t, grads, 64, zero_stage, progress, precision) == VDMC_OK, "init: %s", vdmc_error_message());
  CHECK(g.n_buckets > 3, "several buckets: %d", g.n_buckets);
  // buckets tile [0, total) without gaps, from the end downwards
  size_t end = g.total;
  for (int b = 0; b < g.n_buckets; b++) {
    CHECK(g.buckets[b].end == end && g.buckets[b].begin < end, "bucket %d tiles", b);
    end = g.buckets[b].begin;
  }
  CHECK(end == 0, "buckets reach offset 0");
  grad_sync_begin(&g);
  // backward finishes tensors from the last to the first
  for (size_t i = t.count; i-- > 0;)
    CHECK(grad_sync_ready_from(&g, t.items[i].offset) == VDMC_OK, "ready_from");
  if (zero_stage == 0 && c->size > 1 && progress == GRAD_SYNC_PROGRESS_THREAD) {
    // Backward's compute makes no MPI call: the progress thread alone must complete
    // the buckets (a few KB each; up to 10 s on a loaded machine).
    int left = grad_sync_in_flight(&g);
    for (int ms = 0; left > 0 && ms < 10000; ms += 10) sleep_ms(10), left = grad_sync_in_flight(&g);
    CHECK(left == 0, "progress thread: %d of %d buckets still in flight after 10 s without MPI calls", left,
          g.n_buckets);
  }
  CHECK(grad_sync_finish(&g) == VDMC_OK, "finish: %s", vdmc_error_message());
  double factor = c->size * (c->size + 1) / 2.0;
  size_t bad = 0;
  for (size_t i = g.shard_begin; i < g.shard_begin + g.shard_len; i++)
    if (grads[i] != (float)(factor * ((i % 7) + 1))) bad++;
  CHECK(bad == 0, "stage %d, %s: %zu wrong sums in shard [%zu, +%zu)", zero_stage,
        precision == GRAD_SYNC_BF16 ? "bf16" : "fp32", bad, g.shard_begin, g.shard_len);
  if (zero_stage == 0 && c->size > 1)
    CHECK(g.launched_before_finish > 0.9, "buckets launched during backward: %.2f", g.launched_before_finish);
  if (zero_stage == 1) {
    float *params = vdmc_alloc_floats(total);
    for (size_t i = g.shard_begin; i < g.shard_begin + g.shard_len; i++) params[i] = (float)i;
    CHECK(grad_sync_allgather_params(&g, params) == VDMC_OK, "allgather");
    bad = 0;
    for (size_t i = 0; i < total; i++)
      if (params[i] != (float)i) bad++;
    CHECK(bad == 0, "allgather rebuilt %zu wrong params", bad);
    vdmc_free_floats(params);
  }
  grad_sync_free(&g);
  vdmc_free_floats(grads);
  param_table_free(&t);
}

int main(int argc, char **argv) {
  VdmcComm c;
  mpi_test_init(&argc, &argv, &c);
  for (int p = 0; p < 2; p++) {
    GradSyncPrecision precision = p ? GRAD_SYNC_BF16 : GRAD_SYNC_FP32;
    run_stage(&c, 0, GRAD_SYNC_PROGRESS_THREAD, precision);
    run_stage(&c, 0, GRAD_SYNC_PROGRESS_CALLS, precision);
    run_stage(&c, 1, GRAD_SYNC_PROGRESS_THREAD, precision);
  }

  double local[2] = {c.rank + 1.0, -(double)c.rank};
  MetricStat st[2];
  CHECK(reduce_metrics(local, st, 2, c.comm) == VDMC_OK, "metrics");
  CHECK(st[0].sum == c.size * (c.size + 1) / 2.0 && st[0].min == 1 && st[0].max == c.size, "metric stats");
  CHECK(st[1].min == -(double)(c.size - 1) && st[1].max == 0, "metric min/max");
  double bins[4] = {1, 2, 3, c.rank};
  CHECK(reduce_sum_doubles(bins, 4, c.comm) == VDMC_OK, "bins");
  CHECK(bins[0] == c.size && bins[3] == c.size * (c.size - 1) / 2.0, "bin sums");

  return mpi_test_finish(&c, "mpi_sync");
}
