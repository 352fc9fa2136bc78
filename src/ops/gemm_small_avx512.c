// gemm_small's AVX-512 kernel (see gemm_small.h): an 8-row x 32-column C tile
// in 16 zmm accumulators. Per depth step it loads one 32-float row of B (two
// zmm), broadcasts 8 elements of A and issues 16 FMAs. Where a 32-column tile
// would be mostly padding (the last nr <= 16 columns, all of n = 16) a
// one-zmm-wide variant runs instead. Columns past n are masked with opmasks (a
// masked load costs what a plain one does, so one kernel serves full and
// partial tiles); rows past m use fewer rows. Every C element sums its products
// with the same FMAs in the same order as the AVX2 kernel, so the two give the
// same bits.
#include "ops/gemm_small_kernels.h"

#if GEMM_SMALL_X86
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

enum { MR = 8, NR = 32 };

typedef struct {
  const float *a;
  size_t a_row, a_col;  // A's element (i, p) at a[i * a_row + p * a_col]
  const float *b;
  size_t ldb;
  float *c;
  size_t ldc, kc;
  __mmask16 m0, m1;  // which of the tile's columns exist (0-15, 16-31)
  int accumulate;
} Tile;

// C[0..mr) x (16 * halves) (+)= A[0..mr) . B over kc. mr and halves are
// constants after inlining: the loops over rows unroll and the accumulators
// live in registers.
INLINE AVX512 void tile_rows(const Tile *t, const int mr, const int halves) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) {
    const float *c = t->c + r * t->ldc;
    c0[r] = t->accumulate ? _mm512_maskz_loadu_ps(t->m0, c) : _mm512_setzero_ps();
    c1[r] =
        halves == 2 && t->accumulate ? _mm512_maskz_loadu_ps(t->m1, c + 16) : _mm512_setzero_ps();
  }
  const size_t ar = t->a_row;
  const float *a = t->a, *b = t->b;
  for (size_t p = 0; p < t->kc; p++, a += t->a_col, b += t->ldb) {
    const __m512 b0 = _mm512_maskz_loadu_ps(t->m0, b);
    const __m512 b1 = halves == 2 ? _mm512_maskz_loadu_ps(t->m1, b + 16) : b0;
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      const __m512 av = _mm512_set1_ps(a[r * ar]);
      c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
      if (halves == 2) c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) {
    float *c = t->c + r * t->ldc;
    _mm512_mask_storeu_ps(c, t->m0, c0[r]);
    if (halves == 2) _mm512_mask_storeu_ps(c + 16, t->m1, c1[r]);
  }
}

// A row count known at compile time in each case.
INLINE AVX512 void tile_any(const Tile *t, int mr, const int halves) {
  switch (mr) {
    case 8: tile_rows(t, 8, halves); break;
    case 7: tile_rows(t, 7, halves); break;
    case 6: tile_rows(t, 6, halves); break;
    case 5: tile_rows(t, 5, halves); break;
    case 4: tile_rows(t, 4, halves); break;
    case 3: tile_rows(t, 3, halves); break;
    case 2: tile_rows(t, 2, halves); break;
    default: tile_rows(t, 1, halves); break;
  }
}

static AVX512 void tile_wide(const Tile *t, int mr) { tile_any(t, mr, 2); }
static AVX512 void tile_narrow(const Tile *t, int mr) { tile_any(t, mr, 1); }

// The first n (0..16) bits set.
static __mmask16 first_bits(size_t n) { return (__mmask16)((1u << n) - 1u); }

AVX512 void gemm_small_avx512(size_t m, size_t n, size_t k, const float *A, size_t a_row,
                              size_t a_col, const float *B, size_t ldb, int accumulate, float *C,
                              size_t ldc) {
  for (size_t p0 = 0; p0 < k; p0 += GEMM_SMALL_KC) {
    Tile t = {.a_row = a_row,
              .a_col = a_col,
              .ldb = ldb,
              .ldc = ldc,
              .kc = gemm_small_min(GEMM_SMALL_KC, k - p0),
              .accumulate = accumulate || p0 > 0};
    for (size_t j = 0; j < n; j += NR) {
      const size_t nr = gemm_small_min(NR, n - j);
      t.m0 = first_bits(gemm_small_min(nr, 16));
      t.m1 = first_bits(nr > 16 ? nr - 16 : 0);
      t.b = B + p0 * ldb + j;
      for (size_t i = 0; i < m; i += MR) {
        t.a = A + i * a_row + p0 * a_col;
        t.c = C + i * ldc + j;
        const int mr = (int)gemm_small_min(MR, m - i);
        if (nr > 16)
          tile_wide(&t, mr);
        else
          tile_narrow(&t, mr);
      }
    }
  }
}
#endif
