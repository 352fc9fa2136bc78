// Products with a small inner or outer size, as the Winograd convolution makes
// them: 16 GEMMs per block of tiles with k = Cin and n = Cout of 16..256
// (forward), and (Cin, Cout) results summed over thousands of tiles (weight
// gradient). OpenBLAS packs both operands and zeroes C on every call; at these
// sizes that is ~40% of the time (perf, fmnist 28x28x32). Here a register-tile
// kernel reads A in place through two strides, so A or A^T costs the same and
// nothing is packed: 8x32 with AVX-512, 6x16 with AVX2+FMA
// (gemm_small_kernels.h); other CPUs get gemm_block (OpenBLAS). Each C element
// sums its k products in order p = 0, 1, ...: the result does not depend on how
// callers cut m or n, nor on the thread count.
#ifndef VDMC_OPS_GEMM_SMALL_H
#define VDMC_OPS_GEMM_SMALL_H

#include <stddef.h>

// C (m, n) = (accumulate ? C : 0) + A . B, where A's element (i, p) is
// A[i * a_row + p * a_col] (one of the two strides must be 1: A row-major with
// a_row = lda, or A^T stored row-major with a_col = lda), B (k, n) row-major
// with leading dimension ldb, C (m, n) with leading dimension ldc.
void gemm_small(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
// The code paths, narrowest first. Both kernels give the same bits (one FMA per
// product, same order); OpenBLAS rounds differently.
typedef enum {
  GEMM_SMALL_BLAS = 0,
  GEMM_SMALL_AVX2 = 1,
  GEMM_SMALL_AVX512 = 2,
  GEMM_SMALL_BEST = 3  // for gemm_small_force: back to the detected one
} GemmSmallPath;

// The widest path this CPU (and its OS) runs.
GemmSmallPath gemm_small_best(void);
// The path gemm_small takes now.
GemmSmallPath gemm_small_path(void);
// Makes every later call take `path` (tests and benchmarks compare the paths);
// -1, and no change, when the CPU cannot run it. Not thread-safe: call between
// parallel regions.
int gemm_small_force(GemmSmallPath path);
const char *gemm_small_path_name(GemmSmallPath path);

#endif
