// gemm_small (ops/gemm_small.h) against a double-precision product: A read row-major
// and transposed through its two strides, every row count of the 6- and 8-row tiles,
// column counts around the 16- and 32-column tiles (masked lanes), depths across the
// KC = 256 blocks, overwrite and accumulate, an empty sum, and leading dimensions wider
// than the matrix (whose padding must stay untouched). Every path this CPU runs
// (AVX-512, AVX2+FMA, OpenBLAS), and the two kernels bit for bit against each other.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  const size_t ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 50};
  const size_t ns[] = {1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 64, 65};
  const size_t ks[] = {0, 1, 5, 32, 255, 256, 257, 700};
  for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
    for (size_t b = 0; b < sizeof ns / sizeof *ns; b++)
      for (size_t c = 0; c < sizeof ks / sizeof *ks; c++)
        for (int t = 0; t < 2; t++)
          for (int acc = 0; acc < 2; acc++) check_case(ms[a], ns[b], ks[c], t, acc);
}

// The AVX-512 and AVX2 kernels make the same FMAs in the same order: same bits, on
// shapes that cross both tiles' edges (8x32 and 6x16) and the 256-deep blocks.
static void check_kernels_agree(void) {
  const size_t m = 29, n = 71, k = 600, ld = 80;
  float *A = malloc(m * k * sizeof *A), *B = malloc(k * ld * sizeof *B);
  float *C[2] = {malloc(m * ld * sizeof(float)), malloc(m * ld * sizeof(float))};
  fill_uniform(A, m * k, 11, -1, 1);
  fill_uniform(B, k * ld, 12, -1, 1);
  for (int acc = 0; acc < 2; acc++)
    for (int t = 0; t < 2; t++) {
      for (int w = 0; w < 2; w++) {
        fill_uniform(C[w], m * ld, 13, -1, 1);
        gemm_small_force(w ? GEMM_SMALL_AVX2 : GEMM_SMALL_AVX512);
        // A as 29x600 row-major, or read as the transpose of a 600x29 array
        gemm_small(m, n, k, A, t ? 1 : k, t ? m : 1, B, ld, acc, C[w], ld);
      }
      CHECK(!memcmp(C[0], C[1], m * ld * sizeof(float)), "AVX-512 and AVX2 kernels differ (%s, %s)",
            t ? "A^T" : "A", acc ? "accumulate" : "overwrite");
    }
  gemm_small_force(GEMM_SMALL_BEST);
  free(A), free(B), free(C[0]), free(C[1]);
}

int main(void) {
  const GemmSmallPath best = gemm_small_best();
  printf("gemm_small: this CPU runs the %s\n", gemm_small_path_name(best));
  for (int path = best; path >= GEMM_SMALL_BLAS; path--) {
    CHECK(gemm_small_force((GemmSmallPath)path) == 0, "force %s", gemm_small_path_name(path));
    CHECK(gemm_small_path() == (GemmSmallPath)path, "%s selected", gemm_small_path_name(path));
    check_all();
  }
  CHECK(gemm_small_force(GEMM_SMALL_BEST) == 0 && gemm_small_path() == best, "back to the best");
  if (best < GEMM_SMALL_AVX512)
    CHECK(gemm_small_force(GEMM_SMALL_AVX512) == -1 && gemm_small_path() == best,
          "forcing a kernel the CPU lacks is refused");
  if (best == GEMM_SMALL_AVX512) check_kernels_agree();
  return check_finish("gemm_small");
}
