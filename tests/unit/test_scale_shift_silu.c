// Fused scale-shift + SiLU (activation.h scale_shift_silu_*): bit-identical to the
// composition scale_shift_forward -> silu_forward and silu_backward ->
// scale_shift_backward (each with PyTorch fixtures in unit.tensor_ops / unit.activation),
// on 1 and 3 threads, including C > 256 (channel segments of the backward sums);
// finite differences and the backward contract.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "opcheck.h"
#include "ops/activation.h"
#include "ops/parallel.h"
#include "ops/tensor_ops.h"

typedef struct {
  int B, HW, C;
} SsCtx;

static size_t numel(const SsCtx *t) { return (size_t)t->B * t->HW * t->C; }

static void fused_fwd(void *p, float *out, float *const *in) {
  SsCtx *t = p;
  scale_shift_silu_forward(out, in[0], in[1], t->B, t->HW, t->C);
}
static void fused_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  SsCtx *t = p;
  scale_shift_silu_backward(g[0], g[1], dout, in[0], in[1], t->B, t->HW, t->C);
}

static OpCheck fused_op(const char *name, SsCtx *t) {
  OpCheck op = {.name = name, .ctx = t, .n_in = 2, .forward = fused_fwd, .backward = fused_bwd,
                .in_name = {"x", "ss"}, .in_n = {numel(t), (size_t)t->B * 2 * t->C},
                .out_n = numel(t)};
  return op;
}

static float *filled(size_t n, unsigned seed, float scale) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = scale * ((float)(seed >> 8) * (1.0f / 16777216.0f) * 2.0f - 1.0f);
  }
  return p;
}

static int same_bits(const float *a, const float *b, size_t n) {
  return memcmp(a, b, n * sizeof *a) == 0;
}

// Forward and backward (onto non-zero gradients) of the fused op against the unfused ops.
static void composition_case(const char *name, SsCtx t, int threads) {
  par_set_threads(threads);
  size_t n = numel(&t), nss = (size_t)t.B * 2 * t.C;
  float *x = filled(n, 1, 3.0f), *ss = filled(nss, 2, 1.5f), *dout = filled(n, 3, 1.0f);
  float *y_ref = malloc(n * sizeof *y_ref), *pre = malloc(n * sizeof *pre);
  float *y = malloc(n * sizeof *y), *dh = calloc(n, sizeof *dh);
  float *dx_ref = filled(n, 4, 1.0f), *dss_ref = filled(nss, 5, 1.0f);
  float *dx = filled(n, 4, 1.0f), *dss = filled(nss, 5, 1.0f), *dss2 = filled(nss, 5, 1.0f);
  scale_shift_forward(pre, x, ss, t.B, t.HW, t.C);
  silu_forward(y_ref, pre, n);
  scale_shift_silu_forward(y, x, ss, t.B, t.HW, t.C);
  CHECK(same_bits(y, y_ref, n), "%s (%d threads): forward = scale_shift then silu, bitwise", name,
        threads);
  silu_backward(dh, dout, pre, n);
  scale_shift_backward(dx_ref, dss_ref, dh, x, ss, t.B, t.HW, t.C);
  scale_shift_silu_backward(dx, dss, dout, x, ss, t.B, t.HW, t.C);
  CHECK(same_bits(dx, dx_ref, n), "%s (%d threads): dx = silu then scale_shift backward", name,
        threads);
  CHECK(same_bits(dss, dss_ref, nss), "%s (%d threads): dss = silu then scale_shift backward",
        name, threads);
  scale_shift_silu_backward(NULL, dss2, dout, x, ss, t.B, t.HW, t.C);
  CHECK(same_bits(dss2, dss_ref, nss), "%s (%d threads): dss with dx = NULL", name, threads);
  free(x), free(ss), free(dout), free(y_ref), free(pre), free(y), free(dh);
  free(dx_ref), free(dss_ref), free(dx), free(dss), free(dss2);
  par_set_threads(0);
}

static void gradient_case(const char *name, SsCtx t) {
  OpCheck op = fused_op(name, &t);
  if (opcheck_alloc(&op, 7) == 0) {
    for (size_t i = 0; i < op.in_n[0]; i++) op.in[0][i] *= 3.0f;
    opcheck_gradcheck(&op, 1e-2, 1e-2, 1e-4, 400);  // eps 1e-2: float32 rounding of |out| ~ 7
    opcheck_accumulate(&op);
  }
  opcheck_free(&op);
}

int main(void) {
  composition_case("B2 HW5 C7", (SsCtx){2, 5, 7}, 1);
  composition_case("B3 HW40 C300", (SsCtx){3, 40, 300}, 1);
  composition_case("B3 HW40 C300", (SsCtx){3, 40, 300}, 3);
  composition_case("B4 HW196 C64", (SsCtx){4, 196, 64}, 3);
  gradient_case("scale_shift_silu B2 HW5 C7", (SsCtx){2, 5, 7});
  gradient_case("scale_shift_silu B2 HW3 C300", (SsCtx){2, 3, 300});
  return check_finish("scale_shift_silu");
}
