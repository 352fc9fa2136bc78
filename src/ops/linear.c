// Dense layer on row-major matrices through OpenBLAS. Legend: N rows, Cin inputs,
// Cout outputs. Backward GEMMs use beta = 1 so they accumulate into the gradients.
#include "ops/linear.h"

#include <cblas.h>
#include <string.h>

#include "ops/tensor_ops.h"

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int Cin, int Cout) {
  float beta = 0.0f;
  if (bias) {
    for (size_t r = 0; r < (size_t)N; r++) memcpy(out + r * Cout, bias, (size_t)Cout * sizeof *out);
    beta = 1.0f;
  }
  // out (N,Cout) = inp (N,Cin) . weight (Cin,Cout) [+ out]
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, Cout, Cin, 1.0f, inp, Cin, weight,
              Cout, beta, out, Cout);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int Cin, int Cout) {
  // dinp (N,Cin) += dout (N,Cout) . weight^T (Cout,Cin)
  if (dinp)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, Cin, Cout, 1.0f, dout, Cout, weight,
                Cout, 1.0f, dinp, Cin);
  // dweight (Cin,Cout) += inp^T (Cin,N) . dout (N,Cout)
  if (dweight)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Cin, Cout, N, 1.0f, inp, Cin, dout, Cout,
                1.0f, dweight, Cout);
  if (dbias) colsum_accumulate(dbias, dout, (size_t)N, Cout);
}
