// round_to_bf16 on float32 bits, branch-free so that GCC vectorizes it; threaded over
// contiguous ranges (ops/parallel.h). The bf16 wire format of the gradient reduction
// (pack, widen, add) rounds with the same function.
#include "ops/bf16.h"

#include <stdint.h>

#include "core/cpu_features.h"
#include "core/fastexp.h"
#include "core/float_bits.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

typedef struct {
  float *dst;
  const float *src;
} RoundArgs;

// Pointers in locals: GCC otherwise reloads them from ctx, which dst might alias, and
// does not vectorize.
VDMC_SIMD_CLONES
static void round_range(void *ctx, size_t lo, size_t hi) {
  const RoundArgs *a = ctx;
  float *dst = a->dst;
  const float *src = a->src;
  for (size_t i = lo; i < hi; i++) dst[i] = bf16_rounded(src[i]);
}

void round_to_bf16(float *dst, const float *src, size_t n) {
  RoundArgs a = {dst, src};
  par_for(n, 16, n, round_range, &a);
}

MixedInput mixed_input_f32(const float *x) { return (MixedInput){x, NULL}; }

typedef struct {
  uint16_t *dst;
  const float *src;
} PackArgs;

typedef struct {
  float *dst;
  const uint16_t *src;
} WidenArgs;

VDMC_SIMD_CLONES
static void pack_range(void *ctx, size_t lo, size_t hi) {
  const PackArgs *a = ctx;
  uint16_t *dst = a->dst;
  const float *src = a->src;
  for (size_t i = lo; i < hi; i++) dst[i] = bf16_bits(src[i]);
}

VDMC_SIMD_CLONES
static void widen_range(void *ctx, size_t lo, size_t hi) {
  const WidenArgs *a = ctx;
  float *dst = a->dst;
  const uint16_t *src = a->src;
  for (size_t i = lo; i < hi; i++) dst[i] = bf16_widened(src[i]);
}

void pack_bf16(uint16_t *dst, const float *src, size_t n) {
  PackArgs a = {dst, src};
  pack_range(&a, 0, n);
}

void widen_bf16(float *dst, const uint16_t *src, size_t n) {
  WidenArgs a = {dst, src};
  widen_range(&a, 0, n);
}

void pack_bf16_threaded(uint16_t *dst, const float *src, size_t n) {
  PackArgs a = {dst, src};
  par_for(n, 32, n, pack_range, &a);
}

void widen_bf16_threaded(float *dst, const uint16_t *src, size_t n) {
  WidenArgs a = {dst, src};
  par_for(n, 32, n, widen_range, &a);
}

void add_bf16(uint16_t *inout, const uint16_t *in, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float sum = bf16_widened(inout[i]) + bf16_widened(in[i]);
    inout[i] = bf16_bits(sum);
  }
}

const char *bf16_path_name(void) {
  if (gemm_bf16_path() == GEMM_BF16_AVX512)
    return "AVX512-BF16 vdpbf16ps 8x32 kernel";
  return (cpu_features_bits() & CPU_AVX512_BF16)
             ? "portable (round + fp32 FMA); AVX512-BF16 present, kernel not selected "
               "(VDMC_BF16_KERNEL=portable)"
             : "portable (round + fp32 FMA); AVX512-BF16 not present";
}
