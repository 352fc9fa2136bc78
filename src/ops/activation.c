// SiLU x*sigmoid(x) and exact GELU x*Phi(x) = 0.5*x*(1 + erf(x/sqrt 2)), pointwise.
// Phi is evaluated through erfc of -|x| (normal_cdf): 1 + erf(.) cancels for x < -4 in
// float32.
#include "ops/activation.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/fastexp.h"
#include "core/float_bits.h"
#include "ops/parallel.h"
#include "ops/silu_value.h"

// Arguments of a pointwise activation pass (SiLU, GELU).
typedef struct {
  float *y;                        // out (forward) or dinp (backward)
  const float *inp, *dout;         // dout NULL in forward
} PointwiseArgs;

// y = value(x) (forward, dout NULL) or y += grad(dout, x) over [lo, hi): the loops of
// every pointwise activation. Always inlined with constant value and grad, so each
// activation's range function gets its own vectorized loops.
static inline __attribute__((always_inline)) void pointwise_range(const PointwiseArgs *a, size_t lo,
                                                                  size_t hi,
                                                                  float (*value)(float),
                                                                  float (*grad)(float, float)) {
  const float *x = a->inp;
  if (!a->dout) {
    for (size_t i = lo; i < hi; i++) a->y[i] = value(x[i]);
    return;
  }
  for (size_t i = lo; i < hi; i++) a->y[i] += grad(a->dout[i], x[i]);
}

// dout * d/dx x*s(x) = dout * (s + x*s*(1-s))
static inline float silu_grad(float dout, float x) {
  const float s = sigmoidf(x);
  return dout * s * (1.0f + x * (1.0f - s));
}

// AVX2 and AVX-512 clones (core/fastexp.h): the step's largest elementwise cost.
VDMC_SIMD_CLONES
static void silu_range(void *ctx, size_t lo, size_t hi) {
  pointwise_range(ctx, lo, hi, silu_value, silu_grad);
}

void silu_forward(float *out, const float *inp, size_t n) {
  PointwiseArgs a = {out, inp, NULL};
  par_for(n, 16, n, silu_range, &a);
}

void silu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
  if (!dinp) return;
  PointwiseArgs a = {dinp, inp, dout};
  par_for(n, 16, n, silu_range, &a);
}

enum { SEG = 256 };  // channels per segment of the fused backward (double sums on the stack)

typedef struct {
  float *y, *dss;          // out (forward) or dx (backward); dss (B, 2C) backward only
  const float *x, *ss, *dout;  // dout NULL in forward
  size_t HW, C;
} SsSiluArgs;

// Pre-activation of row r: x * (1 + scale) + shift, as scale_shift_forward computes it.
static inline float ss_pre(float x, float scale, float shift) { return x * (1.0f + scale) + shift; }

// Rows [lo, hi) of (B*HW, C): y = silu(x * (1 + scale_b) + shift_b).
VDMC_SIMD_CLONES
static void ss_silu_forward_range(void *ctx, size_t lo, size_t hi) {
  const SsSiluArgs *a = ctx;
  for (size_t r = lo; r < hi; r++) {
    const float *scale = a->ss + r / a->HW * 2 * a->C, *shift = scale + a->C;
    const float *x = a->x + r * a->C;
    float *y = a->y + r * a->C;
    for (size_t c = 0; c < a->C; c++) {
      float v = ss_pre(x[c], scale[c], shift[c]);
      y[c] = v * sigmoidf(v);
    }
  }
}

// Examples [lo, hi): each owns its dss slice. Per segment of channels, rows in order,
// the double sums of scale_shift_backward (so the same bits as the unfused pair).
VDMC_SIMD_CLONES
static void ss_silu_backward_range(void *ctx, size_t lo, size_t hi) {
  const SsSiluArgs *a = ctx;
  size_t C = a->C;
  for (size_t b = lo; b < hi; b++) {
    const float *scale = a->ss + b * 2 * C, *shift = scale + C;
    size_t t0 = b * a->HW * C;
    for (size_t c0 = 0; c0 < C; c0 += SEG) {
      size_t len = C - c0 < SEG ? C - c0 : SEG;
      double as[SEG], ah[SEG];
      float dh[SEG];
      for (size_t j = 0; j < len; j++) as[j] = ah[j] = 0;
      for (size_t p = 0; p < a->HW; p++) {
        size_t o = t0 + p * C + c0;
        const float *x = a->x + o, *dy = a->dout + o;
        for (size_t j = 0; j < len; j++) {
          float v = ss_pre(x[j], scale[c0 + j], shift[c0 + j]), s = sigmoidf(v);
          dh[j] = dy[j] * s * (1.0f + v * (1.0f - s));
        }
        if (a->y) {
          float *dx = a->y + o;
          for (size_t j = 0; j < len; j++) dx[j] += dh[j] * (1.0f + scale[c0 + j]);
        }
        for (size_t j = 0; j < len; j++) {
          as[j] += (double)dh[j] * x[j];
          ah[j] += dh[j];
        }
      }
      if (!a->dss) continue;
      for (size_t j = 0; j < len; j++) {
        a->dss[b * 2 * C + c0 + j] += (float)as[j];
        a->dss[b * 2 * C + C + c0 + j] += (float)ah[j];
      }
    }
  }
}

void scale_shift_silu_forward(float *out, const float *x, const float *ss, int B, int HW, int C) {
  SsSiluArgs a = {out, NULL, x, ss, NULL, (size_t)HW, (size_t)C};
  size_t rows = (size_t)B * HW;
  par_for(rows, 1, rows * (size_t)C, ss_silu_forward_range, &a);
}

void scale_shift_silu_backward(float *dx, float *dss, const float *dout, const float *x,
                               const float *ss, int B, int HW, int C) {
  if (!dx && !dss) return;
  SsSiluArgs a = {dx, dss, x, ss, dout, (size_t)HW, (size_t)C};
  par_for((size_t)B, 1, (size_t)B * HW * (size_t)C, ss_silu_backward_range, &a);
}

static const float INV_SQRT2 = 0.70710678118654752f;
static const float INV_SQRT_2PI = 0.39894228040143268f;

// e^a for a <= ~0 given in double: a = hi + lo in floats, e^hi by fastexp and e^lo as
// 1 + lo (|lo| <= ulp(hi)/2 < 4e-6 on the range used). Exactly 0 below -87, where
// fastexp would clamp (the results here are then below 1e-38 anyway).
static inline float exp_of_double(double a) {
  const float hi = (float)a, lo = (float)(a - (double)hi);
  const float e = fastexp_nonpos(hi) * (1.0f + lo);
  uint32_t bits;
  memcpy(&bits, &e, sizeof bits);
  bits &= 0u - (uint32_t)(hi >= -87.0f);
  float r;
  memcpy(&r, &bits, sizeof r);
  return r;
}

// Phi(-|x|) = erfc(z)/2, z = |x|/sqrt 2, by the Chebyshev fit of Numerical Recipes
// (erfcc: erfc(z) = t exp(-z^2 + P(t)), t = 1/(1 + z/2), fractional error < 1.2e-7 for
// all z >= 0). The exponent is formed in double with z^2 = x^2/2 exact: rounding z or
// z^2 in float costs ~1e-5 relative at z ~ 8, which libm's erfcf(-x/sqrt 2) also lost.
static inline float normal_cdf_neg_abs(float x) {
  const float z = fabsf(x) * INV_SQRT2, t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return 0.5f * t * exp_of_double(-0.5 * (double)x * (double)x + (double)p);
}

// Phi(x): Phi(-|x|), or 1 - Phi(-|x|) for x >= +0, picked by the sign bit with integer
// masks (branch-free, so the loops vectorize). Relative error of x*Phi(x) <= 4.1e-7 and
// of its derivative <= 3e-7 of |Phi| + |x phi| on [-20, 20] (unit.activation's grid).
static inline float normal_cdf(float x) {
  const float e = normal_cdf_neg_abs(x), pos = 1.0f - e;
  uint32_t eb, pb, xb;
  memcpy(&eb, &e, sizeof eb);
  memcpy(&pb, &pos, sizeof pb);
  memcpy(&xb, &x, sizeof xb);
  const uint32_t m = (xb >> 31) - 1u;  // all ones for a clear sign bit
  const uint32_t rb = (pb & m) | (eb & ~m);
  float r;
  memcpy(&r, &rb, sizeof r);
  return r;
}

static inline float gelu_value(float x) { return x * normal_cdf(x); }

// d/dx x*Phi(x) = Phi(x) + x*phi(x), given cdf = Phi(x) (normal_cdf's, shared with the
// value where both are formed)
static inline float gelu_slope_of(float x, float cdf) {
  const float pdf = INV_SQRT_2PI * exp_of_double(-0.5 * (double)x * (double)x);
  return cdf + x * pdf;
}

static inline float gelu_slope(float x) { return gelu_slope_of(x, normal_cdf(x)); }

static inline float gelu_grad(float dout, float x) { return dout * gelu_slope(x); }

VDMC_SIMD_CLONES
static void gelu_range(void *ctx, size_t lo, size_t hi) {
  pointwise_range(ctx, lo, hi, gelu_value, gelu_grad);
}

void gelu_forward(float *out, const float *inp, size_t n) {
  PointwiseArgs a = {out, inp, NULL};
  par_for(n, 16, n, gelu_range, &a);
}

void gelu_backward(float *dinp, const float *dout, const float *inp, size_t n) {
  if (!dinp) return;
  PointwiseArgs a = {dinp, inp, dout};
  par_for(n, 16, n, gelu_range, &a);
}

// ---- GELU with its slope in bf16 (bf16 runs) ------------------------------------------

typedef struct {
  float *y;                 // out (forward) or dinp (backward)
  uint16_t *slope;          // forward: the slopes' bits written
  const uint16_t *kept;     // backward from kept bits
  const float *inp, *dout;  // backward from the input: inp
} GeluSlopeArgs;

// In chunks through a float buffer: one loop writing floats and 16-bit values was
// vectorized 4 wide (GCC 12), these loops are 16 wide.
enum { SLOPE_CHUNK = 512 };

// The value and the slope share Phi(x), the costlier half of each: the same bits as
// gelu_value and gelu_slope, which compute it alone.
VDMC_SIMD_CLONES
static void gelu_slope_forward_range(void *ctx, size_t lo, size_t hi) {
  const GeluSlopeArgs *a = ctx;
  const float *x = a->inp;
  float d[SLOPE_CHUNK];
  for (size_t c = lo; c < hi; c += SLOPE_CHUNK) {
    const size_t n = hi - c < SLOPE_CHUNK ? hi - c : SLOPE_CHUNK;
    for (size_t j = 0; j < n; j++) {
      const float cdf = normal_cdf(x[c + j]);
      a->y[c + j] = x[c + j] * cdf;
      d[j] = gelu_slope_of(x[c + j], cdf);
    }
    for (size_t j = 0; j < n; j++) a->slope[c + j] = bf16_bits(d[j]);
  }
}

VDMC_SIMD_CLONES
static void gelu_slope_backward_range(void *ctx, size_t lo, size_t hi) {
  const GeluSlopeArgs *a = ctx;
  if (a->kept) {
    for (size_t i = lo; i < hi; i++) a->y[i] += a->dout[i] * bf16_widened(a->kept[i]);
    return;
  }
  float d[SLOPE_CHUNK];
  for (size_t c = lo; c < hi; c += SLOPE_CHUNK) {
    const size_t n = hi - c < SLOPE_CHUNK ? hi - c : SLOPE_CHUNK;
    for (size_t j = 0; j < n; j++) d[j] = gelu_slope(a->inp[c + j]);
    for (size_t j = 0; j < n; j++) a->y[c + j] += a->dout[c + j] * bf16_rounded(d[j]);
  }
}

void gelu_forward_slope(float *out, uint16_t *slope, const float *inp, size_t n) {
  GeluSlopeArgs a = {.y = out, .slope = slope, .inp = inp};
  par_for(n, 16, n, gelu_slope_forward_range, &a);
}

void gelu_backward_rounded(float *dinp, const float *dout, GeluSlopeFrom from, size_t n) {
  if (!dinp) return;
  GeluSlopeArgs a = {.y = dinp, .kept = from.slope, .inp = from.inp, .dout = dout};
  par_for(n, 16, n, gelu_slope_backward_range, &a);
}
