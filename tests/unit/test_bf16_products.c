// bf16 products (ops/bf16_products.h) against the fp32 ops on the same inputs, with the
// error bounds derived in docs/precision.md ("Error bounds of one product"):
//  1. exactness: a *_mixed call gives the bits of the fp32 op on round_to_bf16'd
//     operands (dbias: on the fp32 dout), so the tests below bound the rounding alone;
//  2. the bound, element by element: for a product whose exact value is a sum over k
//     of a_k b_k (plus c0: the bias, or the gradient being accumulated into),
//       |y_bf16 - y_fp32| <= (2u + u^2) S + gamma_n ((2 + 2u + u^2) A + 2 |c0|)
//     with u = 2^-8 (bf16), S = sum |a_k||b_k| (in double here), gamma_n = n u32 /
//     (1 - n u32) (u32 = 2^-24) for the n roundings on the longest path of the fp32
//     algorithm and A what that algorithm's error is relative to (S for im2col/GEMM, the
//     Winograd bound of the docs for F(2x2,3x3));
//  3. the bound is not vacuous: the worst element uses at least 0.5/sqrt(K) of it (K
//     products per element), and the bf16 results break the fp32-only bound (the gamma
//     term alone), i.e. the bf16 term is what the bound is made of;
//  4. the backward accumulate contract: gradients start non-zero (c0), NULL is skipped;
//  5. the saved input given as its bf16 bits (MixedInput.bf16: a bf16 run's 16-bit
//     storage, models/unet_blocks.h SavedOperand) gives the bits of rounding it.
// The attention forward has its own bound (softmax), its backward is checked by 1.
// Attention's probabilities and their gradient are operands of its products: in a bf16
// region it rounds them as it forms them, on both paths, so P kept for backward is a bf16
// value, and keeping its bf16 bits (a bf16 run's storage) changes no bit.
// Every case runs on each bf16 path this CPU has (ops/gemm_bf16.h): on the portable one
// the reference "fp32 op on rounded operands" is the fp32 op; on the AVX512-BF16 kernel
// it is the fp32 op on rounded operands inside a bf16 region (the same kernel), and the
// bound adds what the kernel does differently (docs/precision.md, "The AVX512-BF16
// kernel"): its fp32 sums add a rounding per GEMM_BF16_KC-deep block, and Winograd's
// transformed tiles are rounded to bf16 (the (2u + u^2) term also over A).
// Legend: N rows, Cin/Cout channels, B batch, H/W size, T tokens, C width, NH heads.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/attention.h"
#include "ops/bf16.h"
#include "ops/bf16_products.h"
#include "ops/conv2d.h"
#include "ops/conv2d_winograd.h"
#include "ops/gemm_bf16.h"
#include "ops/linear.h"

static const double U = 1.0 / 256;          // bf16 unit roundoff, 8-bit significand
static const double U32 = 1.0 / 16777216;  // float32

// 1 while the cases run on the AVX512-BF16 kernel.
static int on_kernel;

// Roundings the kernel adds on an element's path: one per k block after the first.
static double kernel_blocks(double k) { return on_kernel ? ceil(k / GEMM_BF16_KC) : 0; }

static double gamma_n(double n) { return n * U32 / (1 - n * U32); }

static float *floats(size_t n) { return calloc(n ? n : 1, sizeof(float)); }
static double *doubles(size_t n) { return calloc(n ? n : 1, sizeof(double)); }

static float *random_floats(size_t n, unsigned seed, float scale) {
  float *x = floats(n);
  fill_uniform(x, n, seed, -scale, scale);
  return x;
}

static float *copy_of(const float *x, size_t n) {
  float *y = floats(n);
  memcpy(y, x, n * sizeof *y);
  return y;
}

static float *rounded_copy(const float *x, size_t n) {
  float *y = floats(n);
  round_to_bf16(y, x, n);
  return y;
}

// x's bf16 bits, as a bf16 run stores a saved activation.
static uint16_t *bf16_bits(const float *x, size_t n) {
  uint16_t *y = malloc(n * sizeof *y);
  if (!y) abort();
  pack_bf16(y, x, n);
  return y;
}

static double max_abs(const float *x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
  return m;
}

// The bound of the header, element by element. A NULL: A = S. c0 (n) or NULL; c0_bcast:
// c0 has `period` entries repeated (a bias over rows).
typedef struct {
  const double *S, *A;
  double A_const;  // used when A is NULL and A_const > 0 (the Winograd bound)
  // NULL, or per element what the algorithm's own operands sum to when it rounds them to
  // bf16 too (Winograd's transformed tiles on the kernel): the (2u + u^2) term is then
  // over S + R.
  const double *R;
  const float *c0;
  size_t c0_period;
  double depth;
  // The worst element must use at least this fraction of the bound: the rounding errors
  // of K products add like a random walk, ~ sqrt(K) of the K the bound allows, so
  // 0.5 / sqrt(K) (attention: a stated 0.02).
  double min_ratio;
} Bound;

static void check_bound(const char *what, const float *got, const float *ref, size_t n,
                        const Bound *b) {
  double g = gamma_n(b->depth), worst = 0;
  size_t bad = 0, above_fp32 = 0;
  for (size_t i = 0; i < n; i++) {
    double A = b->A ? b->A[i] : b->A_const > 0 ? b->A_const : b->S[i];
    double c0 = b->c0 ? fabs(b->c0[i % b->c0_period]) : 0;
    double fp32_only = g * ((2 + 2 * U + U * U) * A + 2 * c0);
    double bound = (2 * U + U * U) * (b->S[i] + (b->R ? b->R[i] : 0)) + fp32_only;
    double err = fabs((double)got[i] - (double)ref[i]);
    bad += !(err <= bound);
    above_fp32 += err > fp32_only;
    if (bound > 0 && err / bound > worst) worst = err / bound;
  }
  printf("%-28s worst |bf16 - fp32| = %.3f of the bound; %5.1f%% of elements beyond the "
         "fp32-only bound\n", what, worst, 100.0 * above_fp32 / n);
  CHECK(bad == 0, "%s: %zu of %zu elements beyond the derived bound", what, bad, n);
  CHECK(worst >= b->min_ratio, "%s: the bound is loose: worst element %.3f < %.2f of it", what,
        worst, b->min_ratio);
  CHECK(above_fp32 > 0, "%s: no element beyond the fp32-only bound (is the rounding applied?)",
        what);
}

static void check_same(const char *what, const float *a, const float *b, size_t n) {
  CHECK(!memcmp(a, b, n * sizeof *a), "%s: not the bits of the fp32 op on rounded operands",
        what);
}

// ---- linear -----------------------------------------------------------------------------

static void linear_case(int N, int Cin, int Cout) {
  size_t nx = (size_t)N * Cin, nw = (size_t)Cin * Cout, ny = (size_t)N * Cout;
  float *x = random_floats(nx, 1, 1), *w = random_floats(nw, 2, 0.2f);
  float *bias = random_floats(Cout, 3, 0.5f), *dy = random_floats(ny, 4, 1);
  float *dx0 = random_floats(nx, 5, 0.3f), *dw0 = random_floats(nw, 6, 0.3f);
  float *db0 = random_floats(Cout, 7, 0.3f);
  Bf16Operands bf = {floats(linear_mixed_floats(N, Cin, Cout)), linear_mixed_floats(N, Cin, Cout), 0};
  float *xr = rounded_copy(x, nx), *wr = rounded_copy(w, nw), *dyr = rounded_copy(dy, ny);

  float *y16 = floats(ny), *y32 = floats(ny), *yr = floats(ny);
  linear_forward_mixed(&bf, y16, x, w, bias, N, Cin, Cout);
  linear_forward(y32, x, w, bias, N, Cin, Cout);
  gemm_bf16_region_begin();  // the reference: the same kernel on rounded operands
  linear_forward(yr, xr, wr, bias, N, Cin, Cout);
  gemm_bf16_region_end();
  check_same("linear forward", y16, yr, ny);

  float *dx16 = copy_of(dx0, nx), *dw16 = copy_of(dw0, nw), *db16 = copy_of(db0, Cout);
  float *dx32 = copy_of(dx0, nx), *dw32 = copy_of(dw0, nw), *db32 = copy_of(db0, Cout);
  float *dxr = copy_of(dx0, nx), *dwr = copy_of(dw0, nw), *dbr = copy_of(db0, Cout);
  linear_backward_mixed(&bf, dx16, dw16, db16, dy, mixed_input_f32(x), w, N, Cin, Cout);
  linear_backward(dx32, dw32, db32, dy, x, w, N, Cin, Cout);
  gemm_bf16_region_begin();  // the reference: the same kernel on rounded operands
  linear_backward(dxr, dwr, NULL, dyr, xr, wr, N, Cin, Cout);
  gemm_bf16_region_end();
  linear_backward(NULL, NULL, dbr, dy, x, w, N, Cin, Cout);
  check_same("linear dinp", dx16, dxr, nx);
  check_same("linear dweight", dw16, dwr, nw);
  check_same("linear dbias (fp32 dout)", db16, dbr, Cout);
  // NULL gradients are skipped and change nothing else
  float *dw_only = copy_of(dw0, nw);
  linear_backward_mixed(&bf, NULL, dw_only, NULL, dy, mixed_input_f32(x), w, N, Cin, Cout);
  check_same("linear dweight alone", dw_only, dw16, nw);
  uint16_t *x16 = bf16_bits(x, nx);
  float *dx_s = copy_of(dx0, nx), *dw_s = copy_of(dw0, nw);
  linear_backward_mixed(&bf, dx_s, dw_s, NULL, dy, (MixedInput){NULL, x16}, w, N, Cin, Cout);
  check_same("linear dinp, input stored in bf16", dx_s, dxr, nx);
  check_same("linear dweight, input stored in bf16", dw_s, dwr, nw);
  free(x16), free(dx_s), free(dw_s);
  // weights_rounded: the caller's bf16 weights (a model's copy) are used as given, with
  // the same bits; given unrounded ones they are not rounded again (the flag acts)
  Bf16Operands bfw = bf;
  bfw.weights_rounded = 1;
  float *yw = floats(ny), *dxw = copy_of(dx0, nx), *dww = copy_of(dw0, nw);
  linear_forward_mixed(&bfw, yw, x, wr, bias, N, Cin, Cout);
  linear_backward_mixed(&bfw, dxw, dww, NULL, dy, mixed_input_f32(x), wr, N, Cin, Cout);
  check_same("linear forward, weight rounded once", yw, yr, ny);
  check_same("linear dinp, weight rounded once", dxw, dxr, nx);
  check_same("linear dweight, weight rounded once", dww, dwr, nw);
  linear_forward_mixed(&bfw, yw, x, w, bias, N, Cin, Cout);
  if (on_kernel)  // its packing rounds every operand: an unrounded weight changes nothing
    check_same("linear forward, unrounded weight on the kernel", yw, yr, ny);
  else
    CHECK(memcmp(yw, yr, ny * sizeof *yw), "linear: weights_rounded rounded the weight anyway");
  free(yw), free(dxw), free(dww);

  double *S = doubles(ny), *Sdx = doubles(nx), *Sdw = doubles(nw);
  for (int i = 0; i < N; i++)
    for (int k = 0; k < Cin; k++)
      for (int j = 0; j < Cout; j++) {
        double a = fabs(x[(size_t)i * Cin + k]), b = fabs(w[(size_t)k * Cout + j]);
        double g = fabs(dy[(size_t)i * Cout + j]);
        S[(size_t)i * Cout + j] += a * b;
        Sdx[(size_t)i * Cin + k] += g * b;
        Sdw[(size_t)k * Cout + j] += a * g;
      }
  check_bound("linear forward", y16, y32, ny,
              &(Bound){.S = S, .c0 = bias, .c0_period = Cout, .depth = Cin + 1 + kernel_blocks(Cin), .min_ratio = 0.5 / sqrt(Cin)});
  check_bound("linear dinp", dx16, dx32, nx,
              &(Bound){.S = Sdx, .c0 = dx0, .c0_period = nx, .depth = Cout + 1 + kernel_blocks(Cout), .min_ratio = 0.5 / sqrt(Cout)});
  check_bound("linear dweight", dw16, dw32, nw,
              &(Bound){.S = Sdw, .c0 = dw0, .c0_period = nw, .depth = N + 1 + kernel_blocks(N), .min_ratio = 0.5 / sqrt(N)});
  free(x), free(w), free(bias), free(dy), free(dx0), free(dw0), free(db0), free(bf.buf);
  free(xr), free(wr), free(dyr), free(y16), free(y32), free(yr), free(dx16), free(dw16);
  free(db16), free(dx32), free(dw32), free(db32), free(dxr), free(dwr), free(dbr), free(dw_only);
  free(S), free(Sdx), free(Sdw);
}

// ---- conv2d -----------------------------------------------------------------------------

// S of forward, dinp and dweight by a direct loop over every (output, tap) pair.
static void conv_abs_sums(const Conv2dDims *d, const float *x, const float *w, const float *dy,
                          double *S, double *Sdx, double *Sdw) {
  int Ho = conv2d_out_h(d), Wo = conv2d_out_w(d), Ci = d->Cin, Co = d->Cout;
  for (int b = 0; b < d->B; b++)
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++)
        for (int ky = 0; ky < d->kh; ky++)
          for (int kx = 0; kx < d->kw; kx++) {
            int iy = oy * d->stride - d->pad_h + ky, ix = ox * d->stride - d->pad_w + kx;
            if (iy < 0 || iy >= d->H || ix < 0 || ix >= d->W) continue;
            size_t o = (((size_t)b * Ho + oy) * Wo + ox) * Co;
            size_t in = (((size_t)b * d->H + iy) * d->W + ix) * Ci;
            size_t t = ((size_t)ky * d->kw + kx) * Ci * Co;
            for (int ci = 0; ci < Ci; ci++)
              for (int co = 0; co < Co; co++) {
                double a = fabs(x[in + ci]), g = fabs(w[t + (size_t)ci * Co + co]);
                double e = fabs(dy[o + co]);
                S[o + co] += a * g;
                Sdx[in + ci] += e * g;
                Sdw[t + (size_t)ci * Co + co] += a * e;
              }
          }
}

// Winograd F(2x2, 3x3) (docs/ops.md): V = B^T d B of a 4x4 input tile, U = G g G^T of a
// 3x3 kernel, output Y = A^T M A of M = U . V (summed over input channels). On the
// kernel its 16 GEMMs round U and V (forward) or V and dM = A dY A^T (dW) to bf16,
// each product's relative error at most 2u + u^2, carried to the output by |A^T|, |A|
// (forward) or |G^T|, |G| (dW): R below is that sum of magnitudes, per element.
static const double WBT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double WAT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const double WG[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

// |V| of channel c of the tile whose top-left input pixel is (y0, x0), zero outside.
static void abs_input_tile(double Vt[16], const float *x, const Conv2dDims *d, int b, int y0, int x0,
                           int c) {
  double t[4][4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      int y = y0 + i, xx = x0 + j;
      t[i][j] = y < 0 || y >= d->H || xx < 0 || xx >= d->W
                    ? 0 : x[(((size_t)b * d->H + y) * d->W + xx) * d->Cin + c];
    }
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      double v = 0;
      for (int a = 0; a < 4; a++)
        for (int e = 0; e < 4; e++) v += WBT[i][a] * t[a][e] * WBT[j][e];
      Vt[i * 4 + j] = fabs(v);
    }
}

// |V| of every input channel of tile (ty, tx) of image b: V (Cin, 16).
static void abs_input_tiles(double *V, const float *x, const Conv2dDims *d, int b, int ty, int tx) {
  for (int ci = 0; ci < d->Cin; ci++)
    abs_input_tile(V + (size_t)ci * 16, x, d, b, 2 * ty - d->pad_h, 2 * tx - d->pad_w, ci);
}

// |U| of the (ci, co) kernel of w (3, 3, Cin, Cout).
static void abs_weight_tile(double Ut[16], const float *w, int Cin, int Cout, int ci, int co) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      double u = 0;
      for (int a = 0; a < 3; a++)
        for (int e = 0; e < 3; e++)
          u += WG[i][a] * w[((size_t)(a * 3 + e) * Cin + ci) * Cout + co] * WG[j][e];
      Ut[i * 4 + j] = fabs(u);
    }
}

// R (B, Ho, Wo, Cout) += sum over ci of |A^T| (|U| . |V|) |A| of each output's tile.
static void wino_forward_tiles(double *R, const Conv2dDims *d, const float *x, const float *w) {
  const int Ho = conv2d_out_h(d), Wo = conv2d_out_w(d), Ci = d->Cin, Co = d->Cout;
  double *V = doubles((size_t)Ci * 16), Ut[16];
  for (int b = 0; b < d->B; b++)
    for (int ty = 0; ty < (Ho + 1) / 2; ty++)
      for (int tx = 0; tx < (Wo + 1) / 2; tx++) {
        abs_input_tiles(V, x, d, b, ty, tx);
        for (int co = 0; co < Co; co++)
          for (int ci = 0; ci < Ci; ci++) {
            abs_weight_tile(Ut, w, Ci, Co, ci, co);
            for (int r = 0; r < 2; r++)
              for (int c = 0; c < 2; c++) {
                int oy = 2 * ty + r, ox = 2 * tx + c;
                if (oy >= Ho || ox >= Wo) continue;
                double sum = 0;
                for (int p = 0; p < 16; p++)
                  sum += fabs(WAT[r][p / 4]) * fabs(WAT[c][p % 4]) * Ut[p] * V[(size_t)ci * 16 + p];
                R[(((size_t)b * Ho + oy) * Wo + ox) * Co + co] += sum;
              }
          }
      }
  free(V);
}

// R (3, 3, Cin, Cout) += sum over tiles of |G^T| (|V| . |dM|) |G|, dM = A dY A^T of the
// tile's 2x2 output gradients (zero past the edge).
static void wino_dweight_tiles(double *R, const Conv2dDims *d, const float *x, const float *dy) {
  const int Ho = conv2d_out_h(d), Wo = conv2d_out_w(d), Ci = d->Cin, Co = d->Cout;
  double *V = doubles((size_t)Ci * 16), *M = doubles((size_t)Co * 16);
  for (int b = 0; b < d->B; b++)
    for (int ty = 0; ty < (Ho + 1) / 2; ty++)
      for (int tx = 0; tx < (Wo + 1) / 2; tx++) {
        abs_input_tiles(V, x, d, b, ty, tx);
        for (int co = 0; co < Co; co++)
          for (int p = 0; p < 16; p++) {
            double m = 0;
            for (int r = 0; r < 2; r++)
              for (int c = 0; c < 2; c++) {
                int oy = 2 * ty + r, ox = 2 * tx + c;
                if (oy < Ho && ox < Wo)
                  m += WAT[r][p / 4] * WAT[c][p % 4] * dy[(((size_t)b * Ho + oy) * Wo + ox) * Co + co];
              }
            M[(size_t)co * 16 + p] = fabs(m);
          }
        for (int ci = 0; ci < Ci; ci++)
          for (int co = 0; co < Co; co++)
            for (int p = 0; p < 16; p++) {
              double vm = V[(size_t)ci * 16 + p] * M[(size_t)co * 16 + p];
              for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                  R[((size_t)(ky * 3 + kx) * Ci + ci) * Co + co] +=
                      fabs(WG[p / 4][ky]) * fabs(WG[p % 4][kx]) * vm;
            }
      }
  free(V), free(M);
}

// The transposed conv's weight (taps flipped, channels swapped), as conv2d.c builds it
// for dinp: (3, 3, Cout, Cin).
static float *flipped(const float *w, const Conv2dDims *d) {
  const size_t taps = (size_t)d->kh * d->kw, ci = (size_t)d->Cin, co = (size_t)d->Cout;
  float *wt = floats(taps * ci * co);
  for (size_t t = 0; t < taps; t++)
    for (size_t i = 0; i < ci; i++)
      for (size_t o = 0; o < co; o++) wt[(t * co + o) * ci + i] = w[((taps - 1 - t) * ci + i) * co + o];
  return wt;
}

static void conv_case(const char *name, Conv2dDims d) {
  int Ho = conv2d_out_h(&d), Wo = conv2d_out_w(&d);
  size_t nx = (size_t)d.B * d.H * d.W * d.Cin, nw = (size_t)d.kh * d.kw * d.Cin * d.Cout;
  size_t ny = (size_t)d.B * Ho * Wo * d.Cout, M = (size_t)d.B * Ho * Wo;
  float *x = random_floats(nx, 11, 1), *w = random_floats(nw, 12, 0.2f);
  float *bias = random_floats(d.Cout, 13, 0.5f), *dy = random_floats(ny, 14, 1);
  float *dx0 = random_floats(nx, 15, 0.3f), *dw0 = random_floats(nw, 16, 0.3f);
  float *scratch = floats(conv2d_scratch_floats(&d));
  Bf16Operands bf = {floats(conv2d_mixed_floats(&d)), conv2d_mixed_floats(&d), 0};
  float *xr = rounded_copy(x, nx), *wr = rounded_copy(w, nw), *dyr = rounded_copy(dy, ny);
  char what[96];

  float *y16 = floats(ny), *y32 = floats(ny), *yr = floats(ny);
  conv2d_forward_mixed(&bf, y16, x, w, bias, &d, scratch);
  conv2d_forward(y32, x, w, bias, &d, scratch);
  gemm_bf16_region_begin();  // the reference: the same kernel on rounded operands
  conv2d_forward(yr, xr, wr, bias, &d, scratch);
  gemm_bf16_region_end();
  snprintf(what, sizeof what, "%s forward", name);
  check_same(what, y16, yr, ny);

  float *dx16 = copy_of(dx0, nx), *dw16 = copy_of(dw0, nw);
  float *dx32 = copy_of(dx0, nx), *dw32 = copy_of(dw0, nw);
  float *dxr = copy_of(dx0, nx), *dwr = copy_of(dw0, nw);
  conv2d_backward_mixed(&bf, dx16, dw16, NULL, dy, mixed_input_f32(x), w, &d, scratch);
  conv2d_backward(dx32, dw32, NULL, dy, x, w, &d, scratch);
  gemm_bf16_region_begin();  // the reference: the same kernel on rounded operands
  conv2d_backward(dxr, dwr, NULL, dyr, xr, wr, &d, scratch);
  gemm_bf16_region_end();
  snprintf(what, sizeof what, "%s dinp", name);
  check_same(what, dx16, dxr, nx);
  snprintf(what, sizeof what, "%s dweight", name);
  check_same(what, dw16, dwr, nw);
  uint16_t *x16 = bf16_bits(x, nx);
  float *dx_s = copy_of(dx0, nx), *dw_s = copy_of(dw0, nw);
  conv2d_backward_mixed(&bf, dx_s, dw_s, NULL, dy, (MixedInput){NULL, x16}, w, &d, scratch);
  snprintf(what, sizeof what, "%s, input stored in bf16", name);
  check_same(what, dx_s, dxr, nx);
  check_same(what, dw_s, dwr, nw);
  free(x16), free(dx_s), free(dw_s);
  // weights_rounded (as in linear_case): the caller's rounded weight, the same bits
  Bf16Operands bfw = bf;
  bfw.weights_rounded = 1;
  float *yw = floats(ny), *dxw = copy_of(dx0, nx), *dww = copy_of(dw0, nw);
  conv2d_forward_mixed(&bfw, yw, x, wr, bias, &d, scratch);
  conv2d_backward_mixed(&bfw, dxw, dww, NULL, dy, mixed_input_f32(x), wr, &d, scratch);
  snprintf(what, sizeof what, "%s, weight rounded once", name);
  check_same(what, yw, yr, ny);
  check_same(what, dxw, dxr, nx);
  check_same(what, dww, dwr, nw);
  free(yw), free(dxw), free(dww);

  double *S = doubles(ny), *Sdx = doubles(nx), *Sdw = doubles(nw);
  conv_abs_sums(&d, x, w, dy, S, Sdx, Sdw);
  // The fp32 algorithm's error (docs/precision.md): im2col sums kh*kw*Cin products (+
  // bias); dinp kh*kw*Cout products, then at most kh*kw col2im additions (+ c0); dW M
  // products (+ c0). Winograd F(2x2,3x3): depth Cin + 12 relative to
  // 81 Cin max|x| max|w| (forward), Cout + 12 and 81 Cout max|dy| max|w| (dinp, the
  // transposed conv), tiles + 11 and 64 tiles max|x| max|dy| (dW).
  double kk = (double)d.kh * d.kw, mx = max_abs(x, nx), mw = max_abs(w, nw), mdy = max_abs(dy, ny);
  int wino = conv2d_winograd_applies(&d);
  Conv2dDims t = d;  // the transposed conv of dinp
  t.Cin = d.Cout, t.Cout = d.Cin, t.pad_h = d.kh - 1 - d.pad_h, t.pad_w = d.kw - 1 - d.pad_w;
  t.H = Ho, t.W = Wo;
  int wino_t = d.stride == 1 && conv2d_winograd_applies(&t);
  double tiles = (double)d.B * ((Ho + 1) / 2) * ((Wo + 1) / 2);
  double *Ry = NULL, *Rdx = NULL, *Rdw = NULL;  // the kernel rounds Winograd's tiles
  if (on_kernel && wino) {
    Ry = doubles(ny), Rdw = doubles(nw);
    wino_forward_tiles(Ry, &d, xr, wr);
    wino_dweight_tiles(Rdw, &d, xr, dyr);
  }
  if (on_kernel && wino_t) {
    float *wt = flipped(wr, &d);
    Rdx = doubles(nx);
    wino_forward_tiles(Rdx, &t, dyr, wt);
    free(wt);
  }
  snprintf(what, sizeof what, "%s forward", name);
  check_bound(what, y16, y32, ny,
              &(Bound){.S = S, .A_const = wino ? 81.0 * d.Cin * mx * mw : 0, .c0 = bias,
                       .c0_period = d.Cout, .R = Ry,
                       .depth = (wino ? d.Cin + 12 : kk * d.Cin + 1) + kernel_blocks(kk * d.Cin),
                       .min_ratio = 0.5 / sqrt(kk * d.Cin)});
  snprintf(what, sizeof what, "%s dinp", name);
  check_bound(what, dx16, dx32, nx,
              &(Bound){.S = Sdx, .A_const = wino_t ? 81.0 * d.Cout * mdy * mw : 0, .c0 = dx0,
                       .c0_period = nx, .R = Rdx,
                       .depth = (wino_t ? d.Cout + 12 : kk * d.Cout + kk + 1) + kernel_blocks(kk * d.Cout),
                       .min_ratio = 0.5 / sqrt(kk * d.Cout)});
  snprintf(what, sizeof what, "%s dweight", name);
  check_bound(what, dw16, dw32, nw,
              &(Bound){.S = Sdw, .A_const = wino ? 64.0 * tiles * mx * mdy : 0, .c0 = dw0,
                       .c0_period = nw, .R = Rdw,
                       .depth = (wino ? tiles + 11 : (double)M + 1) + kernel_blocks((double)M),
                       .min_ratio = 0.5 / sqrt((double)M)});
  free(x), free(w), free(bias), free(dy), free(dx0), free(dw0), free(scratch), free(bf.buf);
  free(xr), free(wr), free(dyr), free(y16), free(y32), free(yr), free(dx16), free(dw16);
  free(dx32), free(dw32), free(dxr), free(dwr), free(S), free(Sdx), free(Sdw);
  free(Ry), free(Rdx), free(Rdw);
}

// ---- attention --------------------------------------------------------------------------

// Floats after a scratch that an op must not write.
enum { GUARD = 64 };

// Forward bound (docs/precision.md, "Attention"): scores move by at most
// e_ij = c sum_d |q||k| ((2u+u^2) + gamma_{D+1} (2+2u+u^2)), so the softmax row by a
// factor within exp(+-2 E_i), E_i = max_j e_ij; both softmaxes carry their own relative
// error delta_i (fastexp 2e-7, the argument s - m rounded: u32 |s - m|, the row sum
// gamma_T, the division and scaling 2 u32). With rho_i = ((exp(2E_i) - 1) + delta_i (1 +
// exp(2E_i))) / (1 - delta_i):
//   |out_bf16 - out_fp32|_ic <= sum_j p_ij |v_jc| (rho_i (1+u) + u + gamma_T (2 + u + rho_i (1+u)))
static void attention_case(int B, int T, int C, int NH, float scale) {
  size_t nqkv = (size_t)B * T * 3 * C, ny = (size_t)B * T * C, np = (size_t)B * NH * T * T;
  int D = C / NH;
  float *qkv = random_floats(nqkv, 21, scale), *dy = random_floats(ny, 22, 1);
  float *dq0 = random_floats(nqkv, 23, 0.3f);
  float *scratch = floats(attention_scratch_floats(B, T, C, NH, ATTN_KEPT_NONE));
  // P kept as bits gets exactly its own scratch, and a guard after it that must stay
  size_t nbits = attention_scratch_floats(B, T, C, NH, ATTN_KEPT_BF16);
  float *scratch_bits = floats(nbits + GUARD);
  for (size_t i = 0; i < GUARD; i++) scratch_bits[nbits + i] = -7.0f;
  Bf16Operands bf = {floats(attention_mixed_floats(B, T, C)), attention_mixed_floats(B, T, C), 0};
  float *qr = rounded_copy(qkv, nqkv), *dyr = rounded_copy(dy, ny);
  float *y16 = floats(ny), *y32 = floats(ny), *yr = floats(ny), *y16r = floats(ny);
  float *p16 = floats(np), *p32 = floats(np), *pr = floats(np);
  attention_forward_mixed(&bf, y16, (AttnSavedProbs){p16, NULL}, qkv, B, T, C, NH, scratch);
  attention_forward(y32, (AttnSavedProbs){p32, NULL}, qkv, B, T, C, NH, scratch);
  gemm_bf16_region_begin();  // the reference: the same kernel on rounded operands
  attention_forward(yr, (AttnSavedProbs){pr, NULL}, qr, B, T, C, NH, scratch);
  gemm_bf16_region_end();
  check_same("attention forward", y16, yr, ny);
  check_same("attention probs", p16, pr, np);
  // P rounded to bf16 in the region only: every kept value a bf16 value, not in fp32
  float *p16_again = rounded_copy(p16, np), *p32_rounded = rounded_copy(p32, np);
  check_same("attention probs are bf16 values", p16_again, p16, np);
  CHECK(memcmp(p32_rounded, p32, np * sizeof *p32), "attention: fp32 P rounded outside a region");
  free(p16_again), free(p32_rounded);
  // the probabilities recomputed (model.attention_probs), or kept as bf16 bits: the same
  uint16_t *pb = malloc(np * sizeof *pb);
  float *pb_wide = floats(np), *y16b = floats(ny);
  attention_forward_mixed(&bf, y16r, ATTN_PROBS_NONE, qkv, B, T, C, NH, scratch);
  check_same("attention forward, P recomputed", y16r, y16, ny);
  attention_forward_mixed(&bf, y16b, (AttnSavedProbs){NULL, pb}, qkv, B, T, C, NH,
                          scratch_bits);
  check_same("attention forward, P kept as bf16", y16b, y16, ny);
  widen_bf16(pb_wide, pb, np);
  check_same("attention probs kept as bf16", pb_wide, p16, np);
  float *dq16 = copy_of(dq0, nqkv), *dqr = copy_of(dq0, nqkv), *dq16r = copy_of(dq0, nqkv);
  attention_backward_mixed(&bf, dq16, dy, mixed_input_f32(qkv), (AttnSavedProbs){p16, NULL}, B, T,
                           C, NH, scratch);
  gemm_bf16_region_begin();
  attention_backward(dqr, dyr, qr, (AttnSavedProbs){pr, NULL}, B, T, C, NH, scratch);
  gemm_bf16_region_end();
  check_same("attention dqkv", dq16, dqr, nqkv);
  attention_backward_mixed(&bf, dq16r, dy, mixed_input_f32(qkv), ATTN_PROBS_NONE, B, T, C, NH,
                           scratch);
  check_same("attention dqkv, P recomputed", dq16r, dq16, nqkv);
  uint16_t *q16 = bf16_bits(qkv, nqkv);
  const AttnSavedProbs kept[3] = {{p16, NULL}, {NULL, pb}, {NULL, NULL}};
  for (int k = 0; k < 3; k++) {  // P saved as float32, as bf16 bits, recomputed
    float *dq_s = copy_of(dq0, nqkv);
    attention_backward_mixed(&bf, dq_s, dy, (MixedInput){NULL, q16}, kept[k], B, T, C, NH,
                             kept[k].bf16 ? scratch_bits : scratch);
    check_same("attention dqkv, qkv stored in bf16", dq_s, dqr, nqkv);
    free(dq_s);
  }
  size_t spoiled = 0;
  for (size_t i = 0; i < GUARD; i++) spoiled += scratch_bits[nbits + i] != -7.0f;
  CHECK(spoiled == 0, "attention B%d T%d NH%d, P kept as bits: %zu floats written past its "
        "scratch of %zu", B, T, NH, spoiled, nbits);
  free(q16), free(pb), free(pb_wide), free(y16b), free(scratch_bits);

  // On the kernel the scores' sums add a rounding per k block; P itself is rounded to
  // bf16 before P V (on both paths): rho becomes (1 + rho)(1 + u) - 1.
  double *S = doubles(ny), c = 1.0 / sqrt((double)D), gT = gamma_n(T + kernel_blocks(T));
  double gD = gamma_n(D + 1 + kernel_blocks(D));
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++)
      for (int i = 0; i < T; i++) {
        const float *q = qkv + ((size_t)b * T + i) * 3 * C + (size_t)h * D;
        double E = 0, smax = -HUGE_VAL, smin = HUGE_VAL;
        for (int j = 0; j < T; j++) {
          const float *k = qkv + ((size_t)b * T + j) * 3 * C + C + (size_t)h * D;
          double sa = 0, s = 0;
          for (int e = 0; e < D; e++) sa += fabs(q[e]) * fabs(k[e]), s += (double)q[e] * k[e];
          double eij = c * sa * ((2 * U + U * U) + gD * (2 + 2 * U + U * U));
          E = eij > E ? eij : E;
          smax = c * s > smax ? c * s : smax;
          smin = c * s < smin ? c * s : smin;
        }
        double delta = 2e-7 + U32 * (smax - smin + 1) + gamma_n(T) + 2 * U32;
        double rho = (expm1(2 * E) + delta * (1 + exp(2 * E))) / (1 - delta);
        rho = (1 + rho) * (1 + U) - 1;
        double f = rho * (1 + U) + U + gT * (2 + U + rho * (1 + U));
        const float *p = p32 + (((size_t)b * NH + h) * T + i) * T;
        for (int e = 0; e < D; e++) {
          double sum = 0;
          for (int j = 0; j < T; j++)
            sum += p[j] * fabs(qkv[((size_t)b * T + j) * 3 * C + 2 * C + (size_t)h * D + e]);
          S[((size_t)b * T + i) * C + (size_t)h * D + e] = f * sum;
        }
      }
  // the whole bound is in S: (2u + u^2) S + ... with S pre-divided
  for (size_t i = 0; i < ny; i++) S[i] /= 2 * U + U * U;
  check_bound("attention forward", y16, y32, ny, &(Bound){.S = S, .depth = 0, .min_ratio = 0.02});
  free(qkv), free(dy), free(dq0), free(scratch), free(bf.buf), free(qr), free(dyr), free(y16);
  free(y32), free(yr), free(y16r), free(p16), free(p32), free(pr), free(dq16), free(dqr);
  free(dq16r), free(S);
}

// What rounding P costs backward (docs/precision.md, "The AVX512-BF16 kernel"): the fp32
// op (no region) from P and from P rounded to bf16 differ, per element, within
//   dq_ie <= c sum_j B_ij |k_je|,  dk_je <= c sum_i B_ij |q_ie|,  dv_je <= u sum_i P_ij |dy_ie|
// with B_ij = (2u + u^2) P_ij (|dP_ij| + sum_l P_il |dP_il|), dP = dy v^T, c = 1/sqrt(D),
// plus both fp32 computations' own error, gamma_{2T+D+8} over the same sums of magnitudes.
static void attention_rounded_probs_case(int B, int T, int C, int NH, float scale) {
  size_t nqkv = (size_t)B * T * 3 * C, ny = (size_t)B * T * C, np = (size_t)B * NH * T * T;
  int D = C / NH;
  float *qkv = random_floats(nqkv, 31, scale), *dy = random_floats(ny, 32, 1);
  float *dq0 = random_floats(nqkv, 33, 0.3f), *p = floats(np);
  float *scratch = floats(attention_scratch_floats(B, T, C, NH, ATTN_KEPT_F32));
  attention_probs(p, qkv, B, T, C, NH);
  float *pr = rounded_copy(p, np), *dqa = copy_of(dq0, nqkv), *dqb = copy_of(dq0, nqkv);
  attention_backward(dqa, dy, qkv, (AttnSavedProbs){p, NULL}, B, T, C, NH, scratch);
  attention_backward(dqb, dy, qkv, (AttnSavedProbs){pr, NULL}, B, T, C, NH, scratch);
  double *bound = doubles(nqkv), *slack = doubles(nqkv), c = 1.0 / sqrt((double)D);
  double *Bij = doubles((size_t)T * T), *Mij = doubles((size_t)T * T);
  double g = gamma_n(2.0 * T + D + 8);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < NH; h++) {
      const float *P = p + ((size_t)b * NH + h) * T * T;
      const float *base = qkv + (size_t)b * T * 3 * C + (size_t)h * D;
      const float *dyb = dy + (size_t)b * T * C + (size_t)h * D;
      for (int i = 0; i < T; i++) {
        double sum_dp = 0, sum_m = 0, *dpr = Bij + (size_t)i * T, *mr = Mij + (size_t)i * T;
        for (int j = 0; j < T; j++) {
          double dp = 0, m = 0;
          for (int e = 0; e < D; e++) {
            double v = base[(size_t)j * 3 * C + 2 * C + e], d = dyb[(size_t)i * C + e];
            dp += d * v, m += fabs(d) * fabs(v);
          }
          dpr[j] = fabs(dp), mr[j] = m;
          sum_dp += P[(size_t)i * T + j] * fabs(dp), sum_m += P[(size_t)i * T + j] * m;
        }
        for (int j = 0; j < T; j++) {  // B_ij, and the fp32 magnitudes in Mij
          double pij = P[(size_t)i * T + j];
          dpr[j] = (2 * U + U * U) * pij * (dpr[j] + sum_dp);
          mr[j] = pij * (mr[j] + sum_m);
        }
      }
      for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) {
          double bij = Bij[(size_t)i * T + j], mij = Mij[(size_t)i * T + j];
          double pij = P[(size_t)i * T + j];
          for (int e = 0; e < D; e++) {
            size_t qi = (size_t)b * T * 3 * C + (size_t)i * 3 * C + (size_t)h * D + e;
            size_t kj = (size_t)b * T * 3 * C + (size_t)j * 3 * C + C + (size_t)h * D + e;
            size_t vj = kj + C;
            double ki = fabs(qkv[kj]), qv = fabs(qkv[qi]), d = fabs(dyb[(size_t)i * C + e]);
            bound[qi] += c * bij * ki, slack[qi] += c * mij * ki;
            bound[kj] += c * bij * qv, slack[kj] += c * mij * qv;
            bound[vj] += U * pij * d, slack[vj] += pij * d;
          }
        }
    }
  size_t bad = 0, beyond = 0;
  double worst = 0;
  for (size_t i = 0; i < nqkv; i++) {
    double fp32 = 2 * g * (slack[i] + fabs(dq0[i]));
    double err = fabs((double)dqa[i] - (double)dqb[i]), all = bound[i] + fp32;
    bad += !(err <= all);
    beyond += err > fp32;
    if (all > 0 && err / all > worst) worst = err / all;
  }
  printf("%-28s worst |P - bf16(P)| effect = %.3f of the bound; %5.1f%% of elements beyond "
         "the fp32-only bound\n", "attention backward, P", worst, 100.0 * beyond / nqkv);
  CHECK(bad == 0, "attention backward: %zu of %zu elements beyond the bound of rounding P", bad,
        nqkv);
  CHECK(worst >= 0.01 && beyond > 0, "attention backward: the bound of rounding P is loose "
        "(worst %.3f) or P was not rounded", worst);
  free(qkv), free(dy), free(dq0), free(p), free(scratch), free(pr), free(dqa), free(dqb);
  free(bound), free(slack), free(Bij), free(Mij);
}

static void all_cases(void) {
  linear_case(37, 96, 40);
  linear_case(5, 8, 300);
  conv_case("conv 3x3 winograd", conv2d_dims(2, 10, 9, 16, 24, 3, 1));
  Conv2dDims im = conv2d_dims(2, 10, 9, 16, 24, 3, 1);
  im.algo = CONV_ALGO_IM2COL;
  conv_case("conv 3x3 im2col", im);
  conv_case("conv 3x3 stride 2", conv2d_dims(2, 11, 10, 8, 12, 3, 2));
  conv_case("conv 1x1", conv2d_dims(2, 6, 7, 24, 16, 1, 1));
  conv_case("conv 3x3 Cin 3", conv2d_dims(2, 8, 8, 3, 16, 3, 1));
  attention_case(2, 24, 32, 2, 1.0f);
  attention_case(1, 49, 64, 4, 2.0f);
  attention_case(1, 200, 32, 2, 1.0f);  // P kept as bits formed in row blocks: 192 + 8 rows
  attention_rounded_probs_case(2, 24, 32, 2, 1.0f);
  attention_rounded_probs_case(1, 49, 64, 4, 2.0f);
}

int main(void) {
  const GemmBf16Path best = gemm_bf16_best();
  for (int path = best; path >= GEMM_BF16_PORTABLE; path--) {
    CHECK(gemm_bf16_force((GemmBf16Path)path) == 0, "force %s", gemm_bf16_path_name(path));
    on_kernel = path != GEMM_BF16_PORTABLE;
    printf("-- bf16 products on the %s\n", gemm_bf16_path_name(path));
    all_cases();
  }
  gemm_bf16_force(GEMM_BF16_BEST);
  if (best == GEMM_BF16_PORTABLE) {
    printf("-- the AVX512-BF16 kernel not run: this CPU lacks avx512_bf16 (unit.gemm_bf16 says so)\n");
    CHECK(!getenv("VDMC_REQUIRE_BF16_KERNEL"),
          "the kernel's cases did not run and VDMC_REQUIRE_BF16_KERNEL is set (.ci/run)");
  }
  return check_finish("bf16_products");
}
