// The bf16 gradient sum (mpi.reduce_precision: bf16) against its error bound
// (docs/mpi.md, "Reduced-precision gradient sum"): with u = 2^-8 and d the hops of
// the reduction tree, every summed element satisfies
//   |bf16 sum - S| <= ((1 + u)^(d+1) - 1) A + (2P - 1)(1 + u)^d 2^-134,
// S = the exact sum of the ranks' float32 gradients, A = the sum of their magnitudes.
// Every rank builds every rank's gradient (values of mixed sign over 40 binades), so S
// and A are computed here in double. Checked at zero_stage 0 (both mpi.progress modes)
// and 1, against S and against the fp32 wire's sum (its own bound added), with d =
// P - 1: at P = 2 and 3 every reduction order has at most P - 1 hops, so the bound
// holds whichever algorithm MPI picks. Also: the results are bf16 values, the same bits
// on every rank and in both progress modes, within 1/2 of the bound somewhere (the
// bound is not loose) and past the fp32 wire's bound somewhere (bf16 really ran).
// ctest runs it as a singleton (nothing is sent: the gradient stays float32);
// tests/cli/mpi_bf16_reduce.sh runs it under mpirun -n 2 and 3.
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mpi_test.h"
#include "core/param_table.h"
#include "core/status.h"
#include "mpi/comm.h"
#include "mpi/grad_sync.h"

// Rank r's gradient element i: a mantissa in [1, 2) times 2^k, k in [-30, 9], either sign.
static float value(int rank, size_t i) {
  uint64_t x = (uint64_t)(rank + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)i * 0xbf58476d1ce4e5b9ull;
  x ^= x >> 31;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 29;
  float m = 1.0f + (float)(x & 0xffffff) / 16777216.0f;
  int k = (int)((x >> 24) % 40u) - 30;
  return ((x >> 40) & 1 ? -1.0f : 1.0f) * ldexpf(m, k);
}

static void build_table(ParamTable *t) { mpi_test_param_table(t, 100, 977, 3001); }

// grads <- this rank's gradient summed over ranks with the given wire; returns the shard.
static void reduce(const VdmcComm *c, const ParamTable *t, float *grads, size_t total, int zero_stage,
                   GradSyncProgress progress, GradSyncPrecision precision, size_t *begin, size_t *len) {
  for (size_t i = 0; i < total; i++) grads[i] = i < t->total ? value(c->rank, i) : 0.0f;
  GradSync g;
  CHECK(grad_sync_init(&g, c->comm, t, grads, 512, zero_stage, progress, precision) == VDMC_OK, "init: %s",
        vdmc_error_message());
  grad_sync_begin(&g);
  for (size_t i = t->count; i-- > 0;) CHECK(grad_sync_ready_from(&g, t->items[i].offset) == VDMC_OK, "ready_from");
  CHECK(grad_sync_finish(&g) == VDMC_OK, "finish: %s", vdmc_error_message());
  *begin = g.shard_begin;
  *len = g.shard_len;
  grad_sync_free(&g);
}

// 0 if every rank holds the same n floats as rank 0.
static size_t differing_from_rank0(const VdmcComm *c, const float *x, size_t n) {
  float *root = vdmc_alloc_floats(n);
  if (c->rank == 0) memcpy(root, x, n * sizeof *x);
  MPI_Bcast(root, (int)n, MPI_FLOAT, 0, c->comm);
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += memcmp(root + i, x + i, sizeof *x) != 0;
  vdmc_free_floats(root);
  return bad;
}

static void check_stage(const VdmcComm *c, int zero_stage, GradSyncProgress progress, float *bf16_calls) {
  const char *name = zero_stage ? "zero_stage 1" : progress == GRAD_SYNC_PROGRESS_THREAD ? "thread" : "calls";
  ParamTable t;
  build_table(&t);
  size_t total = grad_sync_padded_total(&t, c->size), b, n, b32, n32;
  float *bf = vdmc_alloc_floats(total), *fp = vdmc_alloc_floats(total);
  reduce(c, &t, bf, total, zero_stage, progress, GRAD_SYNC_BF16, &b, &n);
  reduce(c, &t, fp, total, zero_stage, progress, GRAD_SYNC_FP32, &b32, &n32);
  CHECK(b == b32 && n == n32, "%s: the same shard on both wires", name);

  const double u = ldexp(1.0, -8), u32 = ldexp(1.0, -24), eta = ldexp(1.0, -134);
  const int P = c->size, d = P - 1;
  const double rel = pow(1 + u, d + 1) - 1, abs_term = (2.0 * P - 1) * pow(1 + u, d) * eta;
  const double rel32 = pow(1 + u32, d) - 1;
  size_t over = 0, over_fp32 = 0, not_bf16 = 0, changed = 0, past_fp32 = 0;
  double worst = 0;  // max of |error| / bound
  for (size_t i = b; i < b + n; i++) {
    double s = 0, a = 0;
    for (int r = 0; r < P; r++) {
      double v = i < t.total ? value(r, i) : 0.0;
      s += v;
      a += fabs(v);
    }
    // s is not exact (values 40 binades apart need more than 53 bits): its P - 1
    // roundings and the one of err add at most 2^-51 a, allowed for here.
    double bound = rel * a + abs_term, err = fabs((double)bf[i] - s);
    if (err > bound + ldexp(a, -50)) over++;
    if (bound > 0 && err / bound > worst) worst = err / bound;
    if (fabs((double)bf[i] - (double)fp[i]) > bound + rel32 * a + ldexp(a, -50)) over_fp32++;
    past_fp32 += err > 4 * rel32 * a;
    uint32_t bits;
    memcpy(&bits, bf + i, sizeof bits);
    not_bf16 += P > 1 && (bits & 0xffffu) != 0;
    changed += bf[i] != fp[i];
  }
  if (P == 1) {
    CHECK(changed == 0, "%s: one rank sends nothing, the gradient stays float32 (%zu changed)", name, changed);
  } else {
    CHECK(over == 0, "%s: %zu of %zu bf16 sums exceed the bound (worst %.3f of it)", name, over, n, worst);
    CHECK(over_fp32 == 0, "%s: %zu of %zu bf16 sums differ from the fp32 sums by more than both bounds", name,
          over_fp32, n);
    CHECK(worst > 0.5, "%s: the worst error is %.3f of the bound: the bound or the test is loose", name, worst);
    CHECK(past_fp32 > n / 10, "%s: only %zu of %zu sums are past 4x the fp32 bound: bf16 did not run", name,
          past_fp32, n);
    CHECK(not_bf16 == 0, "%s: %zu sums are not bf16 values", name, not_bf16);
    if (zero_stage == 0) CHECK(differing_from_rank0(c, bf, total) == 0, "%s: ranks hold different sums", name);
    printf("mpi_bf16_reduce[%d/%d] %s: worst error %.3f of the bound ((1+2^-8)^%d - 1 = %.5f of sum |g|)\n",
           c->rank, P, name, worst, d + 1, rel);
  }
  if (bf16_calls && zero_stage == 0) {
    if (progress == GRAD_SYNC_PROGRESS_CALLS) memcpy(bf16_calls, bf, total * sizeof *bf);
    else CHECK(memcmp(bf16_calls, bf, total * sizeof *bf) == 0, "%s: bits differ from mpi.progress calls", name);
  }
  vdmc_free_floats(bf);
  vdmc_free_floats(fp);
  param_table_free(&t);
}

int main(int argc, char **argv) {
  VdmcComm c;
  mpi_test_init(&argc, &argv, &c);
  ParamTable t;
  build_table(&t);
  float *calls = vdmc_alloc_floats(grad_sync_padded_total(&t, c.size));
  check_stage(&c, 0, GRAD_SYNC_PROGRESS_CALLS, calls);
  check_stage(&c, 0, GRAD_SYNC_PROGRESS_THREAD, calls);
  check_stage(&c, 1, GRAD_SYNC_PROGRESS_CALLS, NULL);
  vdmc_free_floats(calls);
  param_table_free(&t);

  return mpi_test_finish(&c, "mpi_bf16_reduce");
}
