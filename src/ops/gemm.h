// Row-major single-precision GEMM, the BLAS entry points the ops use:
//   C (m,n) = alpha op(A) . op(B) + beta * C
// with op(A) (m,k): A stored (m,k), or (k,m) when trans_a; op(B) (k,n): B stored
// (k,n), or (n,k) when trans_b. beta = 1 accumulates (backward passes), beta = 0
// overwrites.
//
// Threads (docs/ops.md "Threads"): OpenBLAS runs on one thread (ops/parallel.h); a
// product is cut along its larger output dimension into 1, 2 or 4 blocks, a choice that
// depends on (m, n, k) only, and the pool's threads multiply the blocks. sgemm results
// depend on how a product is cut, so cutting by the shape alone keeps them
// bit-identical for any thread count.
#ifndef VDMC_OPS_GEMM_H
#define VDMC_OPS_GEMM_H

#include <stddef.h>

// Dense matrices (leading dimension = row length).
void gemm_rowmajor(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *A,
                   const float *B, float beta, float *C);
// Any leading dimensions (rows of A, B, C as stored), e.g. attention heads read in place.
void gemm_strided(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                  size_t ldc);
// One sgemm on the calling thread (for kernels that cut their own blocks).
void gemm_block(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                const float *A, size_t lda, const float *B, size_t ldb, float beta, float *C,
                size_t ldc);

#endif
