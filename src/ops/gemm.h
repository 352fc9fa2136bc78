// Row-major single-precision GEMM, the one BLAS entry point the ops use:
//   C (m,n) = op(A) . op(B) + beta * C
// with op(A) (m,k): A stored (m,k), or (k,m) when trans_a; op(B) (k,n): B stored
// (k,n), or (n,k) when trans_b. All matrices are dense (leading dim = row length).
// beta = 1 accumulates (backward passes), beta = 0 overwrites.
#ifndef VDMC_OPS_GEMM_H
#define VDMC_OPS_GEMM_H

#include <stddef.h>

void gemm_rowmajor(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *A,
                   const float *B, float beta, float *C);

#endif
