#include "core/half_float.h"

#include <math.h>

#include "core/float_bits.h"

uint16_t bf16_from_f32(float f) {
  uint32_t x = bits_of(f);
  // adding 0x7fff + lsb would carry a NaN's payload into the exponent: keep it NaN
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x0040u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return (uint16_t)(x >> 16);
}

float f32_from_bf16(uint16_t h) { return bf16_widened(h); }

int f16_from_f32(float f, uint16_t *h) {
  uint32_t x = bits_of(f);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) {  // inf stays inf; NaN stays a quiet NaN
    *h = (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x0200u | ((ax >> 13) & 0x3ffu) : 0));
    return 1;
  }
  if (ax >= 0x477ff000u) {  // >= 65520 = 65504 + half an ulp: rounds to inf
    *h = (uint16_t)(sign | 0x7c00u);
    return 0;
  }
  if (ax < 0x38800000u) {  // below 2^-14: a subnormal (or zero) in units of 2^-24
    // scaling by 2^24 is exact; nearbyintf rounds half to even in the default mode
    *h = (uint16_t)(sign | (uint16_t)nearbyintf(float_of(ax) * 16777216.0f));
    return 1;
  }
  uint32_t half = ((((ax >> 23) - 127 + 15) << 10) | ((ax & 0x7fffffu) >> 13));
  uint32_t rest = ax & 0x1fffu;  // the 13 dropped mantissa bits
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half++;  // a carry moves into the exponent
  *h = (uint16_t)(sign | half);
  return 1;
}

float f32_from_f16(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    float v = ldexpf((float)m, -24);
    return sign ? -v : v;
  }
  if (e == 31) return float_of(sign | 0x7f800000u | (m << 13));
  return float_of(sign | ((e - 15 + 127) << 23) | (m << 13));
}
