// Products with a small inner or outer size, as the Winograd convolution makes them:
// 16 GEMMs per block of tiles with k = Cin and n = Cout of 16..256 (forward), and
// (Cin, Cout) results summed over thousands of tiles (weight gradient). OpenBLAS packs
// both operands and zeroes C on every call; at these sizes that is ~40% of the time
// (perf, fmnist 28x28x32). Here an AVX2+FMA register-tile kernel (6 rows x 16 columns)
// reads A in place through two strides, so A or A^T costs the same and nothing is
// packed. CPUs without AVX2 and FMA get gemm_block (OpenBLAS) instead.
// Each C element sums its k products in order p = 0, 1, ...: the result does not depend
// on how callers cut m or n, nor on the thread count.
#ifndef VDMC_OPS_GEMM_SMALL_H
#define VDMC_OPS_GEMM_SMALL_H

#include <stddef.h>

// C (m, n) = (accumulate ? C : 0) + A . B, where A's element (i, p) is
// A[i * a_row + p * a_col] (one of the two strides must be 1: A row-major with
// a_row = lda, or A^T stored row-major with a_col = lda), B (k, n) row-major with
// leading dimension ldb, C (m, n) with leading dimension ldc.
void gemm_small(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
// 1 when gemm_small runs its own kernel on this CPU, 0 when it calls OpenBLAS.
int gemm_small_native(void);
// on = 1 sends every call to the OpenBLAS fallback, as on a CPU without AVX2+FMA (the
// tests run both paths); 0 goes back to the detected one.
void gemm_small_force_fallback(int on);

#endif
