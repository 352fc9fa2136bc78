// gemm_small's AVX2+FMA kernel (see gemm_small.h, gemm_small_kernels.h).
// Legend: MR x NR the C tile held in 12 ymm accumulators.
// Per depth step the kernel loads one 16-float row of B (two ymm), broadcasts 6
// elements of A and issues 12 FMAs: FMA-bound on Zen 3 and Skylake alike.
// Columns past n are masked (vmaskmov), rows past m handled by the same kernel
// with fewer rows.
#include "ops/gemm_small_kernels.h"

enum { MR = 6, NR = 16 };

#if GEMM_SMALL_X86
#include <immintrin.h>

#define AVX2_FMA __attribute__((target("avx2,fma")))

// Which of the tile's 16 columns exist (lanes 0-7, 8-15).
typedef struct {
  __m256i m0, m1;
} Cols;

static inline __attribute__((always_inline)) AVX2_FMA __m256 load_b(const float *p, __m256i m,
                                                                    int full) {
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m);
}

// Row r of the tile: (c0, c1) += a[r] * (b0, b1).
static inline __attribute__((always_inline)) AVX2_FMA void fma_row(const float *a, __m256 b0,
                                                                   __m256 b1, __m256 *c0,
                                                                   __m256 *c1) {
  const __m256 av = _mm256_broadcast_ss(a);
  *c0 = _mm256_fmadd_ps(av, b0, *c0);
  *c1 = _mm256_fmadd_ps(av, b1, *c1);
}

static inline __attribute__((always_inline)) AVX2_FMA void load_row(const GemmTile *t, Cols k,
                                                                    int r, int full, __m256 *c0,
                                                                    __m256 *c1) {
  *c0 = t->accumulate ? load_b(t->c + r * t->ldc, k.m0, full) : _mm256_setzero_ps();
  *c1 = t->accumulate ? load_b(t->c + r * t->ldc + 8, k.m1, full) : _mm256_setzero_ps();
}

static inline __attribute__((always_inline)) AVX2_FMA void store_row(const GemmTile *t, Cols k,
                                                                     int r, int full, __m256 c0,
                                                                     __m256 c1) {
  float *c = t->c + r * t->ldc;
  if (full) {
    _mm256_storeu_ps(c, c0);
    _mm256_storeu_ps(c + 8, c1);
  } else {
    _mm256_maskstore_ps(c, k.m0, c0);
    _mm256_maskstore_ps(c + 8, k.m1, c1);
  }
}

// C[0..mr) x 16 (+)= A[0..mr) . B over kc; mr and full are constants after inlining.
// The accumulators are 12 named variables (an array of them stays in memory).
static inline __attribute__((always_inline)) AVX2_FMA void tile_rows(const GemmTile *t, Cols k,
                                                                     const int mr,
                                                                     const int full) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  load_row(t, k, 0, full, &c00, &c01);
  if (mr > 1) load_row(t, k, 1, full, &c10, &c11);
  if (mr > 2) load_row(t, k, 2, full, &c20, &c21);
  if (mr > 3) load_row(t, k, 3, full, &c30, &c31);
  if (mr > 4) load_row(t, k, 4, full, &c40, &c41);
  if (mr > 5) load_row(t, k, 5, full, &c50, &c51);
  const size_t ar = t->a_row;
  const float *a = t->a, *b = t->b;
  for (size_t p = 0; p < t->kc; p++, a += t->a_col, b += t->ldb) {
    const __m256 b0 = load_b(b, k.m0, full), b1 = load_b(b + 8, k.m1, full);
    fma_row(a, b0, b1, &c00, &c01);
    if (mr > 1) fma_row(a + ar, b0, b1, &c10, &c11);
    if (mr > 2) fma_row(a + 2 * ar, b0, b1, &c20, &c21);
    if (mr > 3) fma_row(a + 3 * ar, b0, b1, &c30, &c31);
    if (mr > 4) fma_row(a + 4 * ar, b0, b1, &c40, &c41);
    if (mr > 5) fma_row(a + 5 * ar, b0, b1, &c50, &c51);
  }
  store_row(t, k, 0, full, c00, c01);
  if (mr > 1) store_row(t, k, 1, full, c10, c11);
  if (mr > 2) store_row(t, k, 2, full, c20, c21);
  if (mr > 3) store_row(t, k, 3, full, c30, c31);
  if (mr > 4) store_row(t, k, 4, full, c40, c41);
  if (mr > 5) store_row(t, k, 5, full, c50, c51);
}

// A row count known at compile time in each case, so that each gets its
// accumulators in registers; full is a constant too.
static inline __attribute__((always_inline)) AVX2_FMA void tile_any(const GemmTile *t, Cols k,
                                                                    int mr, const int full) {
  switch (mr) {
    case 6: tile_rows(t, k, 6, full); break;
    case 5: tile_rows(t, k, 5, full); break;
    case 4: tile_rows(t, k, 4, full); break;
    case 3: tile_rows(t, k, 3, full); break;
    case 2: tile_rows(t, k, 2, full); break;
    default: tile_rows(t, k, 1, full); break;
  }
}

// 16 columns present (plain loads), or fewer (masked).
static AVX2_FMA void tile(const GemmTile *t, int mr, int nr) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const Cols k = {_mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane),
                  _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane)};
  if (nr == NR)
    tile_any(t, k, mr, 1);
  else
    tile_any(t, k, mr, 0);
}

AVX2_FMA void gemm_small_avx2(size_t m, size_t n, size_t k, const float *A, size_t a_row,
                              size_t a_col, const float *B, size_t ldb, int accumulate, float *C,
                              size_t ldc) {
  gemm_small_tiles(MR, NR, tile, m, n, k, A, a_row, a_col, B, ldb, accumulate, C, ldc);
}
#endif
