// The bits of a float32 and back (memcpy: defined behaviour, compiled to a move), and
// their rounding to bfloat16.
#ifndef VDMC_CORE_FLOAT_BITS_H
#define VDMC_CORE_FLOAT_BITS_H

#include <stdint.h>
#include <string.h>

static inline uint32_t bits_of(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  return x;
}

static inline float float_of(uint32_t x) {
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

// The float32 bits of x rounded to the nearest bf16, ties to even (low 16 bits zero):
// core/half_float.h's bf16_from_f32 in the high half. Branch-free so that the loops
// calling it vectorize: the NaN case is a mask.
static inline uint32_t bf16_rounded_bits(uint32_t x) {
  // round to nearest even on the low 16 bits: add 0x7fff plus the kept lsb, truncate
  uint32_t r = (x + 0x7fffu + ((x >> 16) & 1u)) & 0xffff0000u;
  // a NaN's payload would carry into the exponent: keep it NaN, quiet, as half_float.c
  uint32_t nan = -(uint32_t)((x & 0x7fffffffu) > 0x7f800000u);
  return (((x & 0xffff0000u) | 0x00400000u) & nan) | (r & ~nan);
}

// x rounded to the nearest bf16: as a float32 value, and as its 16 bits.
static inline float bf16_rounded(float x) { return float_of(bf16_rounded_bits(bits_of(x))); }
static inline uint16_t bf16_bits(float x) { return (uint16_t)(bf16_rounded_bits(bits_of(x)) >> 16); }
// The float32 value of bf16 bits h (exact).
static inline float bf16_widened(uint16_t h) { return float_of((uint32_t)h << 16); }

#endif
