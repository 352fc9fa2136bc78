// gemm_bf16: the path choice, the bf16 region flag, and the call into the kernel
// (gemm_bf16.h).
#include "ops/gemm_bf16.h"

#include "core/cpu_features.h"
#include "core/status.h"
#include "ops/gemm_bf16_kernel.h"
#include "ops/kernel_path.h"

static KernelPath choice = {GEMM_BF16_BEST};
static int in_region;

GemmBf16Path gemm_bf16_best(void) {
#if GEMM_BF16_X86
  const unsigned need = CPU_AVX512F | CPU_AVX512BW | CPU_AVX512_BF16;
  if ((cpu_features_bits() & need) == need) return GEMM_BF16_AVX512;
#endif
  return GEMM_BF16_PORTABLE;
}

GemmBf16Path gemm_bf16_path(void) {
  return (GemmBf16Path)kernel_path_now(&choice, gemm_bf16_best(), GEMM_BF16_BEST);
}

int gemm_bf16_force(GemmBf16Path path) {
  return kernel_path_force(&choice, path, gemm_bf16_best(), GEMM_BF16_BEST);
}

const char *gemm_bf16_path_name(GemmBf16Path path) {
  static const char *const names[GEMM_BF16_BEST] = {"portable (round + fp32 FMA)",
                                                    "AVX512-BF16 vdpbf16ps 8x32 kernel"};
  return kernel_path_name(names, GEMM_BF16_BEST, path);
}

void gemm_bf16_region_begin(void) { in_region = 1; }
void gemm_bf16_region_end(void) { in_region = 0; }

int gemm_bf16_in_region(void) { return in_region; }

int gemm_bf16_active(void) { return in_region && gemm_bf16_path() != GEMM_BF16_PORTABLE; }

// Callers check gemm_bf16_active() (or gemm_bf16_best()) first: reaching the kernel's
// entry points without it is a bug in vdmc. Without GEMM_BF16_X86 best() is PORTABLE,
// so the entry points below never get past it.
static void need_kernel(void) {
  if (gemm_bf16_best() != GEMM_BF16_AVX512) vdmc_internal_abort("gemm_bf16 without AVX512-BF16");
}

void gemm_bf16(size_t m, size_t n, size_t k, float alpha, const float *A, size_t a_row,
               size_t a_col, const float *B, size_t b_row, size_t b_col, float beta, float *C,
               size_t ldc) {
  need_kernel();
#if GEMM_BF16_X86
  gemm_bf16_avx512(m, n, k, alpha, A, a_row, a_col, B, b_row, b_col, beta, C, ldc);
#endif
}

void gemm_bf16_a16(size_t m, size_t n, size_t k, float alpha, const uint16_t *A, size_t a_row,
                   size_t a_col, const float *B, size_t b_row, size_t b_col, float beta, float *C,
                   size_t ldc) {
  need_kernel();
#if GEMM_BF16_X86
  gemm_bf16_avx512_a16(m, n, k, alpha, A, a_row, a_col, B, b_row, b_col, beta, C, ldc);
#endif
}

size_t gemm_bf16_pack(uint32_t *dst, size_t k, size_t n, const float *B, size_t b_row,
                      size_t b_col) {
  need_kernel();
#if GEMM_BF16_X86
  return gemm_bf16_avx512_pack(dst, k, n, B, b_row, b_col);
#else
  return 0;
#endif
}

void gemm_bf16_packed(size_t m, size_t n, size_t k, float alpha, const float *A, size_t a_row,
                      size_t a_col, const uint32_t *Bp, float beta, float *C, size_t ldc) {
  need_kernel();
#if GEMM_BF16_X86
  gemm_bf16_avx512_packed(m, n, k, alpha, A, a_row, a_col, Bp, beta, C, ldc);
#endif
}
