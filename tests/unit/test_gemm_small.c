// gemm_small (ops/gemm_small.h) against a double-precision product: A read row-major
// and transposed through its two strides, every row count of the 6-row tile and column
// counts around the 16-column tile (masked lanes), depths across the KC = 256 blocks,
// overwrite and accumulate, an empty sum, and leading dimensions wider than the matrix
// (whose padding must stay untouched). Both paths: the AVX2+FMA kernel (where the CPU
// has it) and the OpenBLAS fallback.
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "gradcheck.h"
#include "ops/gemm_small.h"

// C (m, n), ldc = n + 3, compared with accumulate ? C0 + A.B : A.B in double.
static void check_case(size_t m, size_t n, size_t k, int transposed, int accumulate) {
  const size_t lda = (transposed ? m : k) + 2, ldb = n + 1, ldc = n + 3;
  const size_t arows = transposed ? k : m;
  float *A = malloc((arows * lda + 1) * sizeof *A), *B = malloc((k * ldb + 1) * sizeof *B);
  float *C = malloc(m * ldc * sizeof *C), *ref = malloc(m * n * sizeof *ref);
  fill_uniform(A, arows * lda + 1, (unsigned)(m * 131 + k), -1, 1);
  fill_uniform(B, k * ldb + 1, (unsigned)(n * 17 + k), -1, 1);
  fill_uniform(C, m * ldc, (unsigned)(m + n), -1, 1);
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double s = accumulate ? C[i * ldc + j] : 0.0;
      for (size_t p = 0; p < k; p++)
        s += (double)(transposed ? A[p * lda + i] : A[i * lda + p]) * B[p * ldb + j];
      ref[i * n + j] = (float)s;
    }
  const float pad = C[n];  // row 0's padding column (ldc > n)
  gemm_small(m, n, k, A, transposed ? 1 : lda, transposed ? lda : 1, B, ldb, accumulate, C, ldc);
  double worst = 0;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double e = (C[i * ldc + j] - ref[i * n + j]) / (1.0 + (ref[i * n + j] < 0 ? -ref[i * n + j] : ref[i * n + j]));
      if (e < 0) e = -e;
      if (e > worst) worst = e;
    }
  CHECK(worst <= 1e-5 * (1.0 + (double)k / 64), "m %zu n %zu k %zu %s %s: worst err %.2e", m, n,
        k, transposed ? "A^T" : "A", accumulate ? "accumulate" : "overwrite", worst);
  CHECK(C[n] == pad, "m %zu n %zu k %zu: C's padding column written", m, n, k);
  free(A), free(B), free(C), free(ref);
}

static void check_all(void) {
  const size_t ms[] = {1, 2, 3, 4, 5, 6, 7, 12, 13, 50};
  const size_t ns[] = {1, 7, 8, 9, 15, 16, 17, 24, 32, 33, 64};
  const size_t ks[] = {0, 1, 5, 32, 255, 256, 257, 700};
  for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
    for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
      for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
        for (int t = 0; t < 2; t++)
          for (int acc = 0; acc < 2; acc++) check_case(ms[a], ns[b], ks[c], t, acc);
}

int main(void) {
  printf("gemm_small: this CPU runs the %s\n",
         gemm_small_native() ? "AVX2+FMA kernel" : "OpenBLAS fallback (no AVX2/FMA)");
  check_all();
  gemm_small_force_fallback(1);
  CHECK(!gemm_small_native(), "gemm_small_force_fallback(1) selects the fallback");
  check_all();
  gemm_small_force_fallback(0);
  return check_finish("gemm_small");
}
