// exp(x) for x <= 0 written so that GCC vectorizes loops calling it without
// -ffast-math or -fno-trapping-math (libm expf is a scalar call): the clamp is
// integer bit arithmetic, not a float comparison, so the loop has no control flow.
// Used by softmax after the row maximum is subtracted. Accuracy (tests/unit/
// test_fastexp.c): relative error < 2e-7 on [-87, 0]; x < -87 (and -inf) gives
// exp(-87) = 1.6e-38 instead of a smaller number or 0; NaN stays NaN. Positive x
// is outside the contract.
// Method (Cephes expf): x = n ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2),
// exp(r) by a degree-7 polynomial, 2^n put in the exponent bits.
#ifndef VDMC_FASTEXP_H
#define VDMC_FASTEXP_H

#include <stdint.h>
#include <string.h>

// On x86-64 (GCC) a function marked VDMC_SIMD_CLONES gets AVX-512F and AVX2 clones, one
// picked at load time (ifunc): 16 or 8 lanes instead of SSE2's 4 for the loops calling
// fastexp. No FMA (-std=c11 turns off contraction; fma() is never called), so every
// clone gives the same bits: checked by training 6 steps of configs/fmnist.yaml with
// AVX-512 clones and with AVX2 ones, identical checkpoints.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define VDMC_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VDMC_SIMD_CLONES
#endif

static inline float fastexp_nonpos(float x) {
  int32_t xb;
  memcpy(&xb, &x, sizeof xb);
  // negative with |x| > 87 (including -inf, excluding NaN) -> -87
  int32_t ab = xb & 0x7fffffff;
  int32_t clamp = -((int32_t)(xb < 0) & (int32_t)(ab > 0x42ae0000) & (int32_t)(ab <= 0x7f800000));
  xb = (xb & ~clamp) | ((int32_t)0xc2ae0000 & clamp);
  memcpy(&x, &xb, sizeof x);
  // n = round(x / ln2) by the 1.5 * 2^23 trick: the low mantissa bits of t hold n
  float t = x * 1.44269504088896341f + 12582912.0f;
  float n = t - 12582912.0f;
  int32_t tb;
  memcpy(&tb, &t, sizeof tb);
  float r = x - n * 0.693359375f;  // ln2 = 0.693359375 - 2.12194440e-4 (hi exact in float)
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  uint32_t eb = ((uint32_t)tb - 0x4B400000u + 127u) << 23;  // n + bias in the exponent field
  float scale;
  memcpy(&scale, &eb, sizeof scale);
  return p * scale;
}

#endif
