#define _POSIX_C_SOURCE 200809L  // nanosleep
// Gradient sync and the small reductions, checked against sums computed locally.
// ctest runs it as a singleton; tests/cli/mpi_sync.sh runs it under mpirun -n 2 and 4.
// Values are small integers so float sums are exact whatever the reduction order, and
// in bf16 too (integers up to 256 are bf16 values): the bf16 wire runs the same checks.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "mpi_test.h"
#include "core/param_table.h"
#include "core/status.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"
#include "mpi/iallreduce_algorithm.h"
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

// The sums of one zero_stage-0 grad_sync pass over `grads` (restored from `mine` first).
static void sum_once(const VdmcComm *c, const ParamTable *t, float *grads, const float *mine, size_t total,
                     IallreduceAlgorithm *algorithm) {
  memcpy(grads, mine, total * sizeof *grads);
  GradSync g;
  CHECK(grad_sync_init(&g, c->comm, t, grads, 64, 0, GRAD_SYNC_PROGRESS_CALLS, GRAD_SYNC_FP32) == VDMC_OK, "init: %s",
        vdmc_error_message());
  *algorithm = g.algorithm;
  grad_sync_begin(&g);
  CHECK(grad_sync_finish(&g) == VDMC_OK, "finish: %s", vdmc_error_message());
  grad_sync_free(&g);
}

// At P = 2 grad_sync_init asks Open MPI for libnbc's ring (mpi/iallreduce_algorithm.h),
// whose sums must be the tree's bit for bit: each element one a + b. Random floats of
// many exponents (not the small integers above, whose sums are exact in any order),
// summed by the ring, by the binomial tree (the variable set to 2 here) and by hand from
// the other rank's values in this rank's order and in the other's.
// before: the variable's value when the process started (before any grad_sync_init).
static void pair_ring_bits(const VdmcComm *c, int before) {
  ParamTable t;
  build_table(&t);
  size_t total = grad_sync_padded_total(&t, c->size);
  float *grads = vdmc_alloc_floats(total), *mine = vdmc_alloc_floats(total), *ring = vdmc_alloc_floats(total);
  float *theirs = vdmc_alloc_floats(total);
  srand(1234u + (unsigned)c->rank);
  for (size_t i = 0; i < total; i++)
    mine[i] = ((float)rand() / RAND_MAX - 0.5f) * (float)(1 << (rand() % 20)) / (float)(1 << 10);
  int found = 0, ignored = 0;
  IallreduceAlgorithm a;
  sum_once(c, &t, grads, mine, total, &a);
  IallreduceAlgorithm want = before != 0 ? IALLREDUCE_CHOSEN_OUTSIDE : c->size == 2 ? IALLREDUCE_PAIR_RING
                                                                                      : IALLREDUCE_LIBRARY;
  CHECK(a == want, "algorithm %d, expected %d (variable was %d, P = %d)", (int)a, (int)want, before, c->size);
  if (c->size == 2 && before == 0) {
    memcpy(ring, grads, total * sizeof *ring);
    CHECK(MPI_Sendrecv(mine, (int)total, MPI_FLOAT, 1 - c->rank, 7, theirs, (int)total, MPI_FLOAT, 1 - c->rank, 7,
                       c->comm, MPI_STATUS_IGNORE) == MPI_SUCCESS, "exchange");
    CHECK(iallreduce_libnbc_variable(&found, &ignored, 2) == VDMC_OK, "binomial: %s", vdmc_error_message());
    sum_once(c, &t, grads, mine, total, &a);
    CHECK(a == IALLREDUCE_CHOSEN_OUTSIDE, "a variable set before init is left alone: %d", (int)a);
    size_t bad = 0;
    for (size_t i = 0; i < total; i++) {
      float ab = mine[i] + theirs[i], ba = theirs[i] + mine[i];
      bad += memcmp(&ring[i], &grads[i], sizeof(float)) != 0 || memcmp(&ring[i], &ab, sizeof(float)) != 0 ||
             memcmp(&ab, &ba, sizeof(float)) != 0;
    }
    CHECK(bad == 0, "ring, tree and a + b differ in %zu of %zu floats", bad, total);
    CHECK(iallreduce_libnbc_variable(&found, &ignored, before) == VDMC_OK, "restore: %s", vdmc_error_message());
  }
  vdmc_free_floats(theirs);
  vdmc_free_floats(ring);
  vdmc_free_floats(mine);
  vdmc_free_floats(grads);
  param_table_free(&t);
}

int main(int argc, char **argv) {
  VdmcComm c;
  mpi_test_init(&argc, &argv, &c);
  int found = 0, before = 0;
  CHECK(iallreduce_libnbc_variable(&found, &before, -1) == VDMC_OK, "read the variable: %s", vdmc_error_message());
  CHECK(found, "Open MPI's coll_libnbc_iallreduce_algorithm exists (the project's MPI)");
  for (int p = 0; p < 2; p++) {
    GradSyncPrecision precision = p ? GRAD_SYNC_BF16 : GRAD_SYNC_FP32;
    run_stage(&c, 0, GRAD_SYNC_PROGRESS_THREAD, precision);
    run_stage(&c, 0, GRAD_SYNC_PROGRESS_CALLS, precision);
    run_stage(&c, 1, GRAD_SYNC_PROGRESS_THREAD, precision);
  }
  if (c.size > 1) pair_ring_bits(&c, before);

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
