// The register-tile kernels behind gemm_small (gemm_small.h), one file each;
// only gemm_small.c calls them, after checking that the CPU has their
// instructions. Both take gemm_small's arguments and walk k in KC-deep blocks
// (gemm_small_tiles): C is loaded (or zeroed) once per block, summed over the
// block in order p = 0, 1, ... with one FMA per product, and stored, so both
// kernels give the same bits.
#ifndef VDMC_OPS_GEMM_SMALL_KERNELS_H
#define VDMC_OPS_GEMM_SMALL_KERNELS_H

#include <stddef.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define GEMM_SMALL_X86 1
#else
#define GEMM_SMALL_X86 0
#endif

// Depth of a block: C stays in L1 while A and B stream.
enum { GEMM_SMALL_KC = 256 };

static inline size_t gemm_small_min(size_t a, size_t b) { return a < b ? a : b; }

// One tile of C: rows [0, mr) x columns [0, nr) of c (+)= A . B over kc products,
// A's element (i, p) at a[i * a_row + p * a_col], B's (p, j) at b[p * ldb + j].
typedef struct {
  const float *a;
  size_t a_row, a_col;
  const float *b;
  size_t ldb;
  float *c;
  size_t ldc, kc;
  int accumulate;  // 0: C starts at zero (the first block of an overwriting call)
} GemmTile;

typedef void (*GemmTileFn)(const GemmTile *t, int mr, int nr);

// The loops both kernels share: k in KC-deep blocks, C in mr_max x nr_max tiles (the
// last ones smaller), tile() on each. Always inlined into a kernel, so tile() is a
// direct call of that kernel's function.
static inline __attribute__((always_inline)) void gemm_small_tiles(
    int mr_max, int nr_max, GemmTileFn tile, size_t m, size_t n, size_t k, const float *A,
    size_t a_row, size_t a_col, const float *B, size_t ldb, int accumulate, float *C,
    size_t ldc) {
  for (size_t p0 = 0; p0 < k; p0 += GEMM_SMALL_KC) {
    GemmTile t = {.a_row = a_row, .a_col = a_col, .ldb = ldb, .ldc = ldc,
                  .kc = gemm_small_min(GEMM_SMALL_KC, k - p0), .accumulate = accumulate || p0 > 0};
    for (size_t j = 0; j < n; j += (size_t)nr_max) {
      const int nr = (int)gemm_small_min((size_t)nr_max, n - j);
      t.b = B + p0 * ldb + j;
      for (size_t i = 0; i < m; i += (size_t)mr_max) {
        t.a = A + i * a_row + p0 * a_col;
        t.c = C + i * ldc + j;
        tile(&t, (int)gemm_small_min((size_t)mr_max, m - i), nr);
      }
    }
  }
}

#if GEMM_SMALL_X86
// 6 rows x 16 columns in 12 ymm accumulators (gemm_small_avx2.c).
void gemm_small_avx2(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                     const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
// 8 rows x 32 columns in 16 zmm accumulators (gemm_small_avx512.c).
void gemm_small_avx512(size_t m, size_t n, size_t k, const float *A, size_t a_row, size_t a_col,
                       const float *B, size_t ldb, int accumulate, float *C, size_t ldc);
#endif

#endif
