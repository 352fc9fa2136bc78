// OpenBLAS cblas_sgemm behind the row-major wrapper of gemm.h.
#include "ops/gemm.h"

#include <cblas.h>

void gemm_rowmajor(int trans_a, int trans_b, size_t m, size_t n, size_t k, const float *A,
                   const float *B, float beta, float *C) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, A,
              trans_a ? (int)m : (int)k, B, trans_b ? (int)k : (int)n, beta, C, (int)n);
}
