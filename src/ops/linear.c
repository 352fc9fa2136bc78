// Dense layer on row-major matrices (ops/gemm.h). Legend: N rows, Cin inputs,
// Cout outputs. Backward GEMMs use beta = 1 so they accumulate into the gradients.
#include "ops/linear.h"

#include <string.h>

#include "ops/gemm.h"
#include "ops/tensor_ops.h"

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int Cin, int Cout) {
  float beta = 0.0f;
  if (bias) {
    for (size_t r = 0; r < (size_t)N; r++) memcpy(out + r * Cout, bias, (size_t)Cout * sizeof *out);
    beta = 1.0f;
  }
  // out (N,Cout) = inp (N,Cin) . weight (Cin,Cout) [+ out]
  gemm_rowmajor(0, 0, (size_t)N, (size_t)Cout, (size_t)Cin, inp, weight, beta, out);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int Cin, int Cout) {
  // dinp (N,Cin) += dout (N,Cout) . weight^T (Cout,Cin)
  if (dinp)
    gemm_rowmajor(0, 1, (size_t)N, (size_t)Cin, (size_t)Cout, dout, weight, 1.0f, dinp);
  // dweight (Cin,Cout) += inp^T (Cin,N) . dout (N,Cout)
  if (dweight)
    gemm_rowmajor(1, 0, (size_t)Cin, (size_t)Cout, (size_t)N, inp, dout, 1.0f, dweight);
  if (dbias) colsum_accumulate(dbias, dout, (size_t)N, Cout);
}
