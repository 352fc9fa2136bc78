// round_to_bf16 on float32 bits, branch-free so that GCC vectorizes it; threaded over
// contiguous ranges (ops/parallel.h).
#include "ops/bf16.h"

#include <stdint.h>
#include <string.h>

#include "core/cpu_features.h"
#include "core/fastexp.h"
#include "ops/parallel.h"

typedef struct {
  float *dst;
  const float *src;
} RoundArgs;

// Pointers in locals (GCC otherwise reloads them from ctx, which dst might alias, and
// does not vectorize) and the NaN case as a mask, not a branch.
VDMC_SIMD_CLONES
static void round_range(void *ctx, size_t lo, size_t hi) {
  const RoundArgs *a = ctx;
  float *dst = a->dst;
  const float *src = a->src;
  for (size_t i = lo; i < hi; i++) {
    uint32_t x;
    memcpy(&x, src + i, sizeof x);
    // round to nearest even on the low 16 bits: add 0x7fff plus the kept lsb, truncate
    uint32_t r = (x + 0x7fffu + ((x >> 16) & 1u)) & 0xffff0000u;
    // a NaN's payload would carry into the exponent: keep it NaN, quiet, as half_float.c
    uint32_t nan = -(uint32_t)((x & 0x7fffffffu) > 0x7f800000u);
    r = (((x & 0xffff0000u) | 0x00400000u) & nan) | (r & ~nan);
    memcpy(dst + i, &r, sizeof r);
  }
}

void round_to_bf16(float *dst, const float *src, size_t n) {
  RoundArgs a = {dst, src};
  par_for(n, 16, n, round_range, &a);
}

const char *bf16_path_name(void) {
  return (cpu_features_bits() & CPU_AVX512_BF16)
             ? "portable (round + fp32 FMA); AVX512-BF16 present, no vdpbf16ps kernel yet"
             : "portable (round + fp32 FMA); AVX512-BF16 not present";
}
