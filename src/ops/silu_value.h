// SiLU's value x * sigmoid(x), inline for the loops that apply it to values they form
// (ops/activation.c's passes, GroupNorm's output in ops/norm.c): one definition, so a
// fused pass gives the bits of the separate one.
#ifndef VDMC_OPS_SILU_VALUE_H
#define VDMC_OPS_SILU_VALUE_H

#include <stdint.h>
#include <string.h>

#include "core/fastexp.h"

// 1/(1+e^-x) from e = exp(-|x|) <= 1, which never overflows: s = 1/(1+e) for x >= 0 and
// e/(1+e) for x < 0, picked by the sign bit with integer masks so that the loops
// vectorize without fast-math (libm expf is a scalar call: it was 14% of a U-Net step).
// Error ~3e-7 relative; below x = -87 fastexp clamps, so s = 1.6e-38 instead of e^x.
static inline float sigmoidf(float x) {
  int32_t xb, db, eb;
  memcpy(&xb, &x, sizeof xb);
  int32_t neg = xb >> 31;  // all ones when the sign bit is set
  int32_t ab = xb & 0x7fffffff;
  float ax;
  memcpy(&ax, &ab, sizeof ax);
  float e = fastexp_nonpos(-ax), d = 1.0f / (1.0f + e), ed = e * d;
  memcpy(&db, &d, sizeof db);
  memcpy(&eb, &ed, sizeof eb);
  int32_t sb = (eb & neg) | (db & ~neg);
  float s;
  memcpy(&s, &sb, sizeof s);
  return s;
}

static inline float silu_value(float x) { return x * sigmoidf(x); }

#endif
