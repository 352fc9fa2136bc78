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

// Which of the tile's 32 columns exist (0-15, 16-31).
typedef struct {
  __mmask16 m0, m1;
} Cols;

// C[0..mr) x (16 * halves) (+)= A[0..mr) . B over kc. mr and halves are
// constants after inlining: the loops over rows unroll and the accumulators
// live in registers.
INLINE AVX512 void tile_rows(const GemmTile *t, Cols k, const int mr, const int halves) {
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) {
    const float *c = t->c + r * t->ldc;
    c0[r] = t->accumulate ? _mm512_maskz_loadu_ps(k.m0, c) : _mm512_setzero_ps();
    c1[r] =
        halves == 2 && t->accumulate ? _mm512_maskz_loadu_ps(k.m1, c + 16) : _mm512_setzero_ps();
  }
  const size_t ar = t->a_row;
  const float *a = t->a, *b = t->b;
  for (size_t p = 0; p < t->kc; p++, a += t->a_col, b += t->ldb) {
    const __m512 b0 = _mm512_maskz_loadu_ps(k.m0, b);
    const __m512 b1 = halves == 2 ? _mm512_maskz_loadu_ps(k.m1, b + 16) : b0;
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
    _mm512_mask_storeu_ps(c, k.m0, c0[r]);
    if (halves == 2) _mm512_mask_storeu_ps(c + 16, k.m1, c1[r]);
  }
}

// A row count known at compile time in each case.
INLINE AVX512 void tile_any(const GemmTile *t, Cols k, int mr, const int halves) {
  switch (mr) {
    case 8: tile_rows(t, k, 8, halves); break;
    case 7: tile_rows(t, k, 7, halves); break;
    case 6: tile_rows(t, k, 6, halves); break;
    case 5: tile_rows(t, k, 5, halves); break;
    case 4: tile_rows(t, k, 4, halves); break;
    case 3: tile_rows(t, k, 3, halves); break;
    case 2: tile_rows(t, k, 2, halves); break;
    default: tile_rows(t, k, 1, halves); break;
  }
}

// The first n (0..16) bits set.
static __mmask16 first_bits(int n) { return (__mmask16)((1u << n) - 1u); }

// Two zmm wide, or one where the last 16 or fewer columns are left.
static AVX512 void tile(const GemmTile *t, int mr, int nr) {
  const Cols k = {first_bits(nr < 16 ? nr : 16), first_bits(nr > 16 ? nr - 16 : 0)};
  if (nr > 16)
    tile_any(t, k, mr, 2);
  else
    tile_any(t, k, mr, 1);
}

AVX512 void gemm_small_avx512(size_t m, size_t n, size_t k, const float *A, size_t a_row,
                              size_t a_col, const float *B, size_t ldb, int accumulate, float *C,
                              size_t ldc) {
  gemm_small_tiles(MR, NR, tile, m, n, k, A, a_row, a_col, B, ldb, accumulate, C, ldc);
}
#endif
