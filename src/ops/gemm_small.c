// gemm_small: picks the widest register-tile kernel this CPU runs (see
// gemm_small.h).
#include "ops/gemm_small.h"

#include <string.h>

#include "core/cpu_features.h"
#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/gemm_small_kernels.h"
#include "ops/kernel_path.h"

static KernelPath choice = {GEMM_SMALL_BEST};

GemmSmallPath gemm_small_best(void) {
#if GEMM_SMALL_X86
  const unsigned f = cpu_features_bits();  // AVX512F includes the OS's ZMM state, AVX2 its YMM
  if ((f & CPU_AVX2) && (f & CPU_FMA)) return f & CPU_AVX512F ? GEMM_SMALL_AVX512 : GEMM_SMALL_AVX2;
#endif
  return GEMM_SMALL_BLAS;
}

GemmSmallPath gemm_small_path(void) {
  return (GemmSmallPath)kernel_path_now(&choice, gemm_small_best(), GEMM_SMALL_BEST);
}

int gemm_small_force(GemmSmallPath path) {
  return kernel_path_force(&choice, path, gemm_small_best(), GEMM_SMALL_BEST);
}

const char *gemm_small_path_name(GemmSmallPath path) {
  static const char *const names[GEMM_SMALL_BEST] = {"OpenBLAS sgemm", "AVX2+FMA 6x16 kernel",
                                                     "AVX-512 8x32 kernel"};
  return kernel_path_name(names, GEMM_SMALL_BEST, path);
}

void gemm_small(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                const float *B, size_t ldb, int accumulate, float *C, size_t ldc) {
  if (!m || !n) return;
  if (!k) {  // an empty sum
    if (!accumulate)
      for (size_t i = 0; i < m; i++) memset(C + i * ldc, 0, n * sizeof(float));
    return;
  }
  if (gemm_bf16_active()) {  // a bf16 product op's operands (ops/gemm_bf16.h)
    gemm_bf16(m, n, k, 1.0f, A, a_row, a_col, B, ldb, 1, accumulate ? 1.0f : 0.0f, C, ldc);
    return;
  }
  switch (gemm_small_path()) {
#if GEMM_SMALL_X86
    case GEMM_SMALL_AVX512:
      gemm_small_avx512(m, n, k, A, a_row, a_col, B, ldb, accumulate, C, ldc);
      return;
    case GEMM_SMALL_AVX2:
      gemm_small_avx2(m, n, k, A, a_row, a_col, B, ldb, accumulate, C, ldc);
      return;
#endif
    default: break;
  }
  const int trans_a = a_col != 1;  // then a_row == 1: A^T stored with leading dimension a_col
  gemm_block(trans_a, 0, m, n, k, 1.0f, A, trans_a ? a_col : a_row, B, ldb,
             accumulate ? 1.0f : 0.0f, C, ldc);
}
