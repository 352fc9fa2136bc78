// SiLU and exact-erf GELU: PyTorch parity over [-12, 12] and far tails (+-30, +-100),
// dense grids against double precision, finite differences, and the backward contract;
// GELU with its slope in bf16 (bf16 runs) against the fp32 op.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "opcheck.h"
#include "core/half_float.h"
#include "ops/activation.h"
#include "ops/parallel.h"

typedef struct {
  void (*forward)(float *out, const float *inp, size_t n);
  void (*backward)(float *dinp, const float *dout, const float *inp, size_t n);
  size_t n;
} ActCtx;

static void act_fwd(void *p, float *out, float *const *in) {
  ActCtx *a = p;
  a->forward(out, in[0], a->n);
}

static void act_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  ActCtx *a = p;
  a->backward(g[0], dout, in[0], a->n);
}

// Element by element within 2e-5 (the array check is relative to the largest value, which would
// hide errors in the tails where the values are tiny).
static void elementwise(const char *what, const float *got, const float *ref, size_t n) {
  size_t bad = 0, worst = 0;
  double worst_rel = 0;
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)got[i] - ref[i]), rel = d / (fabs(ref[i]) + 1e-37);
    if (d > 1e-35 && rel > worst_rel) worst_rel = rel, worst = i;
    if (!(d <= 1e-35 + 2e-5 * fabs(ref[i]))) bad++;
  }
  CHECK(bad == 0, "%s: %zu elements off by > 2e-5 relative (worst %.3g at %zu: %.9g vs %.9g)",
        what, bad, worst_rel, worst, got[worst], ref[worst]);
}

static void act_case(const char *name, const char *file, ActCtx a) {
  Fixture fx;
  CHECK(fixture_load(&fx, file) == 0, "load %s", file);
  const int *dims = fx.count ? fixture_ints(&fx, "dims", 1) : NULL;
  CHECK(dims != NULL, "%s dims", file);
  if (dims) {
    a.n = (size_t)dims[0];
    OpCheck op = {.name = file, .ctx = &a, .n_in = 1, .forward = act_fwd, .backward = act_bwd,
                  .in_name = {"x"}, .in_n = {a.n}, .out_n = a.n};
    const float *ref = fixture_floats(&fx, "out", a.n), *dout = fixture_floats(&fx, "dout", a.n);
    const float *dref = fixture_floats(&fx, "dx", a.n);
    if (opcheck_alloc(&op, 3) == 0 && opcheck_load(&op, &fx) == 0 && ref && dout && dref) {
      opcheck_parity(&op, &fx, 1e-5);
      char what[64];
      snprintf(what, sizeof what, "%s out", file);
      elementwise(what, op.out, ref, a.n);
      float *dx = calloc(a.n, sizeof *dx);
      a.backward(dx, dout, op.in[0], a.n);
      snprintf(what, sizeof what, "%s dx", file);
      elementwise(what, dx, dref, a.n);
      free(dx);
    }
    opcheck_free(&op);
  }
  fixture_free(&fx);

  // Random points in [-5, 5): odd count, gradients and contract.
  a.n = 301;
  OpCheck op = {.name = name, .ctx = &a, .n_in = 1, .forward = act_fwd, .backward = act_bwd,
                .in_name = {"x"}, .in_n = {a.n}, .out_n = a.n};
  if (opcheck_alloc(&op, 11) == 0) {
    for (size_t i = 0; i < a.n; i++) op.in[0][i] *= 5.0f;
    opcheck_gradcheck(&op, 1e-3, 1e-2, 1e-4, 1000);
    opcheck_accumulate(&op);
  }
  opcheck_free(&op);
}

// SiLU (fastexp sigmoid) on a dense grid of [-87, 87] against double precision: forward and
// backward within 1e-6 relative (plus 1e-30 absolute), and -0 -> -0, NaN -> NaN.
static void silu_dense(void) {
  enum { N = 17401 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *dx = calloc(N, sizeof *dx);
  float *ones = malloc(N * sizeof *ones);
  size_t bad_y = 0, bad_dx = 0;
  for (int i = 0; i < N; i++) x[i] = -87.0f + 0.01f * (float)i, ones[i] = 1.0f;
  silu_forward(y, x, N);
  silu_backward(dx, ones, x, N);
  for (int i = 0; i < N; i++) {
    double xd = x[i], s = 1.0 / (1.0 + exp(-xd)), ry = xd * s, rd = s * (1.0 + xd * (1.0 - s));
    if (!(fabs(y[i] - ry) <= 1e-30 + 1e-6 * fabs(ry))) bad_y++;
    if (!(fabs(dx[i] - rd) <= 1e-30 + 1e-6 * fabs(rd) + 1e-7 * s)) bad_dx++;
  }
  CHECK(bad_y == 0, "silu dense forward: %zu of %d off by > 1e-6 relative", bad_y, N);
  CHECK(bad_dx == 0, "silu dense backward: %zu of %d off by > 1e-6 relative", bad_dx, N);
  float sp[2] = {-0.0f, NAN}, so[2];
  silu_forward(so, sp, 2);
  CHECK(so[0] == 0.0f && signbit(so[0]) && isnan(so[1]), "silu(-0) = -0, silu(NaN) = NaN");
  free(x), free(y), free(dx), free(ones);
}

// GELU (erfc fit + fastexp) on a dense grid of [-20, 20] against double precision libm erfc:
// x Phi(x) within 1e-6 relative where it is above 1e-30 (1e-36 absolute below), the
// derivative Phi + x phi within 1e-6 of |Phi| + |x phi| (it crosses zero near x = -0.75;
// 1e-36 absolute where both underflow), and NaN -> NaN. Measured worst: 4.1e-7, 3.0e-7.
static void gelu_dense(void) {
  enum { N = 40001 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *dx = calloc(N, sizeof *dx);
  float *ones = malloc(N * sizeof *ones);
  size_t bad_y = 0, bad_dx = 0;
  double worst_y = 0, worst_dx = 0;
  for (int i = 0; i < N; i++) x[i] = -20.0f + 0.001f * (float)i, ones[i] = 1.0f;
  gelu_forward(y, x, N);
  gelu_backward(dx, ones, x, N);
  for (int i = 0; i < N; i++) {
    double xd = x[i], cdf = 0.5 * erfc(-xd / sqrt(2.0));
    double xpdf = xd * exp(-0.5 * xd * xd) / sqrt(2.0 * 3.14159265358979323846);
    double ry = xd * cdf, rd = cdf + xpdf;
    double ey = fabs(y[i] - ry), ed = fabs(dx[i] - rd), scale = fabs(cdf) + fabs(xpdf);
    if (fabs(ry) > 1e-30 && ey / fabs(ry) > worst_y) worst_y = ey / fabs(ry);
    if (scale > 1e-30 && ed / scale > worst_dx) worst_dx = ed / scale;
    if (!(ey <= 1e-36 + 1e-6 * fabs(ry))) bad_y++;
    if (!(ed <= 1e-36 + 1e-6 * scale)) bad_dx++;
  }
  printf("gelu dense [-20, 20]: worst rel err forward %.2e, derivative %.2e\n", worst_y, worst_dx);
  CHECK(bad_y == 0, "gelu dense forward: %zu of %d off by > 1e-6 relative", bad_y, N);
  CHECK(bad_dx == 0, "gelu dense backward: %zu of %d off by > 1e-6", bad_dx, N);
  float sp[1] = {NAN}, so[1];
  gelu_forward(so, sp, 1);
  CHECK(isnan(so[0]), "gelu(NaN) = NaN");
  free(x), free(y), free(dx), free(ones);
}

// GELU with its slope in bf16 (bf16 runs): forward gives gelu_forward's bits and keeps the
// slope gelu'(x) rounded to bf16 (against core/half_float.c's rounding of the fp32 slope,
// which gelu_backward with dout = 1 gives exactly); backward from the kept bits and from x
// give the same bits, add to dinp, and stay within u = 2^-8 of |dout gelu'(x)| of the fp32
// backward (rounding the slope moves it by at most u relative; plus 4 float roundings of
// the terms), with the bf16 term what the bound is made of (some element uses over a
// quarter of it). Dense grid of [-20, 20] and 4096 uniform values in [-4, 4], 2 threads.
static void gelu_slope_bf16(void) {
  enum { GRID = 40001, N = GRID + 4096 };
  const double u = 1.0 / 256, u32 = 1.0 / (1 << 24);
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *y16 = malloc(N * sizeof *y16);
  float *slope = calloc(N, sizeof *slope), *ones = malloc(N * sizeof *ones);
  float *dout = malloc(N * sizeof *dout), *d0 = malloc(N * sizeof *d0);
  float *ref = malloc(N * sizeof *ref), *kept = malloc(N * sizeof *kept);
  float *fromx = malloc(N * sizeof *fromx);
  uint16_t *bits = malloc(N * sizeof *bits);
  for (int i = 0; i < GRID; i++) x[i] = -20.0f + 0.001f * (float)i;
  fill_uniform(x + GRID, N - GRID, 41, -4, 4);
  fill_uniform(dout, N, 42, -2, 2);
  fill_uniform(d0, N, 43, -1, 1);
  for (int i = 0; i < N; i++) ones[i] = 1.0f;
  par_set_threads(2);
  gelu_forward(y, x, N);
  gelu_backward(slope, ones, x, N);
  gelu_forward_slope(y16, bits, x, N);
  memcpy(ref, d0, N * sizeof *ref);
  memcpy(kept, d0, N * sizeof *kept);
  memcpy(fromx, d0, N * sizeof *fromx);
  gelu_backward(ref, dout, x, N);
  gelu_backward_rounded(kept, dout, (GeluSlopeFrom){NULL, bits}, N);
  gelu_backward_rounded(fromx, dout, (GeluSlopeFrom){x, NULL}, N);
  par_set_threads(0);
  size_t bad_y = 0, bad_bits = 0, bad_same = 0, bad_bound = 0;
  double used = 0;
  for (int i = 0; i < N; i++) {
    bad_y += memcmp(&y[i], &y16[i], sizeof(float)) != 0;
    bad_bits += bits[i] != bf16_from_f32(slope[i]);
    bad_same += memcmp(&kept[i], &fromx[i], sizeof(float)) != 0 ||
                kept[i] != d0[i] + dout[i] * f32_from_bf16(bits[i]);
    double term = fabs((double)dout[i] * slope[i]), err = fabs((double)kept[i] - ref[i]);
    double bound = u * term + 4 * u32 * (fabs(d0[i]) + 2 * term) + 1e-37;
    bad_bound += !(err <= bound);
    if (term > 1e-30 && (err - 4 * u32 * (fabs(d0[i]) + 2 * term)) / (u * term) > used)
      used = (err - 4 * u32 * (fabs(d0[i]) + 2 * term)) / (u * term);
  }
  printf("gelu slope in bf16: %d values, worst element uses %.2f of the bf16 term u |dout gelu'|\n",
         N, used);
  CHECK(bad_y == 0, "gelu_forward_slope: %zu of %d outputs differ from gelu_forward", bad_y, N);
  CHECK(bad_bits == 0, "gelu_forward_slope: %zu of %d slopes are not the fp32 slope rounded",
        bad_bits, N);
  CHECK(bad_same == 0, "gelu_backward_rounded: %zu of %d differ between kept bits, x and "
        "dinp + dout * slope", bad_same, N);
  CHECK(bad_bound == 0, "gelu_backward_rounded: %zu of %d outside u |dout gelu'(x)| of fp32",
        bad_bound, N);
  CHECK(used > 0.25, "gelu_backward_rounded: worst %.2f of the bf16 term: is the slope rounded?",
        used);
  free(x), free(y), free(y16), free(slope), free(ones), free(dout), free(d0), free(ref);
  free(kept), free(fromx), free(bits);
}

int main(void) {
  silu_dense();
  gelu_dense();
  gelu_slope_bf16();
  act_case("silu", "silu.fix", (ActCtx){silu_forward, silu_backward, 0});
  act_case("gelu", "gelu.fix", (ActCtx){gelu_forward, gelu_backward, 0});
  return check_finish("activation");
}
