// The register-tile kernels behind gemm_small (gemm_small.h), one file each;
// only gemm_small.c calls them, after checking that the CPU has their
// instructions. Both take gemm_small's arguments and walk k in KC-deep blocks:
// C is loaded (or zeroed) once per block, summed over the block in order p = 0,
// 1, ... with one FMA per product, and stored, so both kernels give the same
// bits.
#ifndef VDMC_OPS_GEMM_SMALL_KERNELS_H
#define VDMC_OPS_GEMM_SMALL_KERNELS_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_SMALL_X86 1
#else
#define GEMM_SMALL_X86 0
#endif

// Depth of a block: C stays in L1 while A and B stream.
enum { GEMM_SMALL_KC = 256 };

static inline size_t gemm_small_min(size_t a, size_t b) { return a < b ? a : b; }

#if GEMM_SMALL_X86
// 6 rows x 16 columns in 12 ymm accumulators (gemm_small_avx2.c).
void gemm_small_avx2(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                     const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
// 8 rows x 32 columns in 16 zmm accumulators (gemm_small_avx512.c).
void gemm_small_avx512(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                       const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
#endif

#endif
