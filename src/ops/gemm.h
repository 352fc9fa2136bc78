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
// bit-identical for any thread count; row cuts fall on multiples of GEMM_ROW_ALIGN.
#ifndef VDMC_OPS_GEMM_H
#define VDMC_OPS_GEMM_H

#include <stddef.h>
#include <stdint.h>

// Row blocks of C that start at multiples of GEMM_ROW_ALIGN gave, row by row, the bits
// of one sgemm over all rows in every shape measured (OpenBLAS 0.3.21 Zen sgemm, all
// four transposes, 15 shapes: its kernel takes row-major rows in groups of 12, and a
// cut elsewhere changes the rounding of nearby rows). So where the rows are cut does not
// change the results. Column cuts have no such property.
#define GEMM_ROW_ALIGN ((size_t)48)

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

// The same two with A given as bf16 bits (an operand an op keeps in 16 bits: attention's
// probabilities and their gradient), the bits of the float32 call on A's values. Only
// where the bf16 kernel multiplies (gemm_bf16_active(), ops/gemm_bf16.h): elsewhere an
// internal error (abort).
void gemm_strided_a16(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                      const uint16_t *A, size_t lda, const float *B, size_t ldb, float beta,
                      float *C, size_t ldc);
void gemm_block_a16(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                    const uint16_t *A, size_t lda, const float *B, size_t ldb, float beta,
                    float *C, size_t ldc);

#endif
