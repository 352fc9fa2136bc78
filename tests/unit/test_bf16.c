// bfloat16 rounding (docs/precision.md, "Rounding"): core/half_float.h's scalar
// bf16_from_f32 and ops/bf16.h's round_to_bf16 against an independent reference that
// picks the nearer of the two neighbouring bf16 values by distance in double (ties to
// the even one, past the largest finite to inf), on every high half of the float32 bits
// with the low halves that matter (exact, just above/below a tie, the tie, the
// all-ones), on every low half under each sign, exponent and edge mantissa, and on
// named edge cases. ops/bf16.h's pack_bf16 (the bf16 gradient reduction's wire) and
// widen_bf16 are checked in the same sweep.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/half_float.h"
#include "ops/bf16.h"

// A float32 and its bits (type punning through a union is defined in C11).
typedef union {
  float f;
  uint32_t u;
} Bits;

static float f_of(uint32_t x) { return (Bits){.u = x}.f; }
static uint32_t bits_of(float f) { return (Bits){.f = f}.u; }

// The value of the float32 with these bits, where 0x7f800000 (the magnitude after the
// largest bf16) counts as 2^128: IEEE rounds as if the exponent were unbounded and
// overflows to inf when that is the nearer value.
static double magnitude(uint32_t mag_bits) {
  return mag_bits == 0x7f800000u ? ldexp(1.0, 128) : (double)f_of(mag_bits);
}

// The float32 bits of the nearest bf16, ties to even; NaN: a quiet NaN with the same
// sign and top payload bits.
static uint32_t reference_round(uint32_t x) {
  uint32_t sign = x & 0x80000000u, mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) return (x & 0xffff0000u) | 0x00400000u;
  uint32_t lo = mag & 0xffff0000u;
  if (lo == mag) return x;
  uint32_t hi = lo + 0x10000u;
  double v = fabs((double)f_of(mag)), dlo = v - magnitude(lo), dhi = magnitude(hi) - v;
  uint32_t r = dlo < dhi ? lo : dhi < dlo ? hi : (lo & 0x10000u) ? hi : lo;
  return sign | r;
}

static uint32_t vector_round(uint32_t x) {
  float f = f_of(x), r;
  round_to_bf16(&r, &f, 1);
  return bits_of(r);
}

static uint32_t scalar_round(uint32_t x) { return (uint32_t)bf16_from_f32(f_of(x)) << 16; }

static void named_cases(void) {
  static const struct {
    uint32_t in, out;
    const char *what;
  } cases[] = {
      {0x3f800000u, 0x3f800000u, "1 is exact"},
      {0x3f808000u, 0x3f800000u, "1 + 2^-8: tie, to the even 1"},
      {0x3f818000u, 0x3f820000u, "1 + 3*2^-8: tie, to the even 1 + 2^-6"},
      {0x3f808001u, 0x3f810000u, "just above the tie: up"},
      {0x3f807fffu, 0x3f800000u, "just below the tie: down"},
      {0xbf818000u, 0xbf820000u, "negative tie to even"},
      {0x7f7f0000u, 0x7f7f0000u, "largest bf16 is exact"},
      {0x7f7f7fffu, 0x7f7f0000u, "below the half-way to 2^128: largest bf16"},
      {0x7f7f8000u, 0x7f800000u, "half-way past the largest bf16 (odd): inf"},
      {0x7f7fffffu, 0x7f800000u, "largest float32: inf"},
      {0xff7fffffu, 0xff800000u, "-largest float32: -inf"},
      {0x7f800000u, 0x7f800000u, "inf"},
      {0xff800000u, 0xff800000u, "-inf"},
      {0x00000000u, 0x00000000u, "+0"},
      {0x80000000u, 0x80000000u, "-0"},
      {0x00000001u, 0x00000000u, "smallest subnormal: 0"},
      {0x80000001u, 0x80000000u, "-smallest subnormal: -0"},
      {0x00008000u, 0x00000000u, "subnormal tie, to the even 0"},
      {0x00018000u, 0x00020000u, "subnormal tie, odd: up"},
      {0x007fffffu, 0x00800000u, "largest subnormal: smallest normal"},
      {0x7fc00000u, 0x7fc00000u, "quiet NaN"},
      {0x7f800001u, 0x7fc00000u, "signalling NaN, payload in the low half: quiet NaN, not inf"},
      {0xff800001u, 0xffc00000u, "negative signalling NaN"},
      {0x7fffffffu, 0x7fff0000u, "NaN with every payload bit: no carry"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t in = cases[i].in, want = cases[i].out;
    CHECK(reference_round(in) == want, "reference %08x -> %08x, want %08x (%s)", in,
          reference_round(in), want, cases[i].what);
    CHECK(scalar_round(in) == want, "bf16_from_f32 %08x -> %08x, want %08x (%s)", in,
          scalar_round(in), want, cases[i].what);
    CHECK(vector_round(in) == want, "round_to_bf16 %08x -> %08x, want %08x (%s)", in,
          vector_round(in), want, cases[i].what);
  }
}

// Every high half with the low halves around ties and carries.
static void every_exponent_and_tie(void) {
  static const uint32_t lows[] = {0x0000, 0x0001, 0x4000, 0x7fff, 0x8000,
                                  0x8001, 0xc000, 0xfffe, 0xffff};
  enum { NL = sizeof lows / sizeof lows[0] };
  size_t n = 65536 * NL, bad_scalar = 0, bad_vector = 0, bad_pack = 0, bad_widen = 0;
  float *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out), *wide = malloc(n * sizeof *wide);
  uint16_t *packed = malloc(n * sizeof *packed);
  for (uint32_t h = 0; h < 65536; h++)
    for (int l = 0; l < NL; l++) in[h * NL + l] = f_of(h << 16 | lows[l]);
  round_to_bf16(out, in, n);
  pack_bf16(packed, in, n);
  widen_bf16(wide, packed, n);
  for (size_t i = 0; i < n; i++) {
    uint32_t x = bits_of(in[i]), want = reference_round(x);
    bad_scalar += scalar_round(x) != want;
    bad_vector += bits_of(out[i]) != want;
    bad_pack += ((uint32_t)packed[i] << 16) != want;
    bad_widen += bits_of(wide[i]) != want;
  }
  CHECK(bad_scalar == 0, "bf16_from_f32 differs from the reference on %zu of %zu", bad_scalar, n);
  CHECK(bad_vector == 0, "round_to_bf16 differs from the reference on %zu of %zu", bad_vector, n);
  CHECK(bad_pack == 0, "pack_bf16 differs from the reference on %zu of %zu", bad_pack, n);
  CHECK(bad_widen == 0, "widen_bf16(pack_bf16) differs from the reference on %zu of %zu", bad_widen, n);
  free(packed);
  free(wide);
  // in place gives the same
  round_to_bf16(in, in, n);
  CHECK(!memcmp(in, out, n * sizeof *in), "round_to_bf16 in place differs");
  free(in);
  free(out);
}

// Every low half (all 65536 ways to round) under the high halves with each sign and
// exponent and the bf16 mantissa 0x00, 0x01, 0x7e and 0x7f (even / odd, and the carries
// into the exponent): 2^26 patterns, round_to_bf16 (threaded, vectorized) against
// bf16_from_f32 and, for each pattern, against the reference; pack_bf16 against bf16_from_f32.
static void every_low_half(void) {
  enum { CHUNK = 1 << 16 };
  static const uint32_t mants[] = {0x00, 0x01, 0x7e, 0x7f};
  float *in = malloc(CHUNK * sizeof *in), *out = malloc(CHUNK * sizeof *out);
  uint16_t *packed = malloc(CHUNK * sizeof *packed);
  uint64_t bad = 0, bad_ref = 0, bad_pack = 0;
  for (uint32_t se = 0; se < 512; se++)
    for (int m = 0; m < 4; m++) {
      uint32_t high = (se << 7 | mants[m]) << 16;
      for (uint32_t i = 0; i < CHUNK; i++) in[i] = f_of(high | i);
      round_to_bf16(out, in, CHUNK);
      pack_bf16(packed, in, CHUNK);
      for (uint32_t i = 0; i < CHUNK; i++) {
        bad += bits_of(out[i]) != scalar_round(high | i);
        bad_pack += ((uint32_t)packed[i] << 16) != scalar_round(high | i);
        // the reference is slow: every 7th pattern and every one near a tie
        if (i % 7 == 0 || (i >= 0x7ff0 && i <= 0x8010))
          bad_ref += bits_of(out[i]) != reference_round(high | i);
      }
    }
  CHECK(bad == 0, "round_to_bf16 differs from bf16_from_f32 on %llu of 2^26 patterns",
        (unsigned long long)bad);
  CHECK(bad_ref == 0, "round_to_bf16 differs from the reference on %llu patterns",
        (unsigned long long)bad_ref);
  CHECK(bad_pack == 0, "pack_bf16 differs from bf16_from_f32 on %llu of 2^26 patterns",
        (unsigned long long)bad_pack);
  free(packed);
  free(in);
  free(out);
}

int main(void) {
  named_cases();
  every_exponent_and_tie();
  every_low_half();
  return check_finish("bf16");
}
