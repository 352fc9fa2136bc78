// gemm_bf16's AVX512-BF16 kernel (gemm_bf16.h), blocked as GotoBLAS does: a block of B
// (GEMM_BF16_KC products deep, up to NC columns) is packed as bf16 pairs, then a block
// of up to MC rows of A, and each 8-row panel of that runs an 8x32 register tile of
// vdpbf16ps over the B block's 32-column panels. Both packs read their operand through
// two strides, so A, A^T, B and B^T all work; A may also be bf16 bits, which pack as
// they are (half the bytes read, no rounding). A tile keeps 16 zmm accumulators; per pair
// of products it loads one 32-lane row of B pairs (two zmm), broadcasts 8 pairs of A
// and issues 16 vdpbf16ps. Where the last 16 or fewer columns are left, a one-zmm-wide
// tile runs instead. Columns past n are packed as zeros, rows past m not read; neither
// is stored. An odd k block's last pair has a zero high half.
#include "ops/gemm_bf16_kernel.h"

#if GEMM_BF16_X86
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512bf16")))
#define INLINE static inline __attribute__((always_inline))

enum { MR = 8, NR = 32, KP = GEMM_BF16_KC / 2, NC = 512, MC = 128 };

// Packed operands: one uint32 per pair of products, the bf16 of the even k in the low
// half and of the odd k in the high half (the lane layout vdpbf16ps multiplies).
// b_pack: the B block's NC / NR panels, each kp pairs x NR lanes (KP * NC)
// a_pack: a block of MC rows of A, row by row x KP pairs (A row-major: a row's pairs are
//   its floats in order) or kp pairs x MC rows (A^T stored: two rows of A^T paired lane
//   by lane); the tiles read it through PanelLayout.  (KP * MC)
// Per thread (the pool's threads multiply blocks of one GEMM at once), 320 KB.
static _Thread_local uint32_t b_pack[KP * NC] __attribute__((aligned(64)));
static _Thread_local uint32_t a_pack[KP * MC] __attribute__((aligned(64)));

static __mmask16 first_bits(size_t n) { return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1u); }
static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

// Lanes j < 16: (bf16(lo[j]), bf16(hi[j])), lanes outside the masks zero. Masked-off
// floats are not read.
INLINE BF16_TARGET __m512i pairs_across(const float *lo, const float *hi, __mmask16 m_lo,
                                        __mmask16 m_hi) {
  // word 2j <- word j (lo's bf16), word 2j+1 <- word 16 + j (hi's)
  const __m512i interleave = _mm512_set_epi16(
      31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4,
      19, 3, 18, 2, 17, 1, 16, 0);
  const __m512 l = _mm512_maskz_loadu_ps(m_lo, lo), h = _mm512_maskz_loadu_ps(m_hi, hi);
  // words 0-15: bf16 of l, words 16-31: bf16 of h (rounded to nearest even)
  const __m512i t = (__m512i)_mm512_cvtne2ps_pbh(h, l);
  return _mm512_permutexvar_epi16(interleave, t);
}

// Lanes q < 16: (bf16(src[2q]), bf16(src[2q + 1])) of the first `count` (<= 32) floats
// of src, zero past them: consecutive floats are already pairs in memory order.
INLINE BF16_TARGET __m512i pairs_along(const float *src, size_t count) {
  const __m512 a = _mm512_maskz_loadu_ps(first_bits(count), src);
  const __m512 b = _mm512_maskz_loadu_ps(first_bits(count > 16 ? count - 16 : 0), src + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(b, a);
}

// Lane `lane` of a packed layout of `width` lanes per pair, pairs q = 0 .. kp-1, from a
// run of 2 kp floats (kc of them real) contiguous in k.
INLINE BF16_TARGET void pack_lane_along(uint32_t *out, size_t width, size_t lane, const float *src,
                                        size_t kc, size_t kp) {
  uint32_t t[16] __attribute__((aligned(64)));
  for (size_t q0 = 0; q0 < kp; q0 += 16) {
    _mm512_store_si512(t, pairs_along(src + 2 * q0, min_size(32, kc - 2 * q0)));
    const size_t nq = min_size(16, kp - q0);
    for (size_t q = 0; q < nq; q++) out[(q0 + q) * width + lane] = t[q];
  }
}

// Words of one packed B block: kc deep, nc wide (panels of NR lanes).
static size_t block_words(size_t kc, size_t nc) { return (nc + NR - 1) / NR * ((kc + 1) / 2) * NR; }

// dst <- B's rows [p0, p0 + kc) x columns [j0, j0 + nc), panel by panel (block_words).
static BF16_TARGET void pack_b(uint32_t *dst, const float *B, size_t b_row, size_t b_col, size_t p0,
                               size_t kc, size_t j0, size_t nc) {
  const size_t kp = (kc + 1) / 2;
  for (size_t jp = 0; jp < nc; jp += NR) {
    uint32_t *out = dst + jp / NR * kp * NR;
    const size_t w = min_size(NR, nc - jp);
    if (b_col == 1) {  // a row of B is contiguous: pair two rows lane by lane
      for (size_t q = 0; q < kp; q++) {
        const float *lo = B + (p0 + 2 * q) * b_row + j0 + jp;
        const int odd = 2 * q + 1 < kc;
        const float *hi = odd ? lo + b_row : lo;
        for (size_t h = 0; h < NR; h += 16) {
          const __mmask16 m = first_bits(w > h ? w - h : 0);
          _mm512_store_si512(out + q * NR + h, pairs_across(lo + h, hi + h, m, odd ? m : 0));
        }
      }
    } else {  // B^T stored: a column of B is contiguous in k
      for (size_t j = 0; j < NR; j++) {
        if (j < w)
          pack_lane_along(out, NR, j, B + (j0 + jp + j) * b_col + p0, kc, kp);
        else
          for (size_t q = 0; q < kp; q++) out[q * NR + j] = 0;
      }
    }
  }
}

// Where pair (r, q) of an A panel is, from the panel's first row: r * rs + q * qs; the
// panel of rows [ip, ip + MR) of the block starts at a_pack + ip * rs.
typedef struct {
  size_t rs, qs;
} PanelLayout;

// A as given: float32 values (f32, rounded as packed) or bf16 bits (b16, packed as they
// are), element (i, p) at [i * row + p * col].
typedef struct {
  const float *f32;
  const uint16_t *b16;
  size_t row, col;
} ASource;

// Lanes j < 16: (lo[j], hi[j]) of bf16 bits, lanes outside the masks zero. Masked-off
// words are not read.
INLINE BF16_TARGET __m512i bits_across(const uint16_t *lo, const uint16_t *hi, __mmask16 m_lo,
                                       __mmask16 m_hi) {
  // 512-bit masked loads of 16 words (AVX512BW; the 256-bit form would need AVX512VL)
  const __m512i l = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(m_lo, lo)));
  const __m512i h = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(_mm512_maskz_loadu_epi16(m_hi, hi)));
  return _mm512_or_si512(l, _mm512_slli_epi32(h, 16));
}

// Lanes q < 16: (src[2q], src[2q + 1]) of the first `count` (<= 32) bf16 words of src,
// zero past them: consecutive words are already pairs in memory order.
INLINE BF16_TARGET __m512i bits_along(const uint16_t *src, size_t count) {
  const __mmask32 m = count >= 32 ? 0xffffffffu : (__mmask32)((1u << count) - 1u);
  return _mm512_maskz_loadu_epi16(m, src);
}

// a_pack <- A's rows [i0, i0 + mb) x columns [p0, p0 + kc) (mb <= MC), read row after
// row of the stored matrix (whole cache lines, as the prefetcher likes); returns its
// layout. Rows past mb are not written: the tiles read only rows < mr.
static BF16_TARGET PanelLayout pack_a(ASource a, size_t i0, size_t mb, size_t p0, size_t kc) {
  const size_t kp = (kc + 1) / 2;
  if (a.col == 1) {  // a row of A is contiguous in k: its pairs are its values in order
    for (size_t i = 0; i < mb; i++) {
      const size_t at = (i0 + i) * a.row + p0;
      for (size_t q0 = 0; q0 < kp; q0 += 16) {
        const size_t count = min_size(32, kc - 2 * q0);
        _mm512_storeu_si512(a_pack + i * KP + q0,
                            a.b16 ? bits_along(a.b16 + at + 2 * q0, count)
                                  : pairs_along(a.f32 + at + 2 * q0, count));
      }
    }
    return (PanelLayout){KP, 1};
  }
  // A^T stored: a column of A is contiguous in i; pair q of rows i is two rows of A^T
  for (size_t q = 0; q < kp; q++) {
    const size_t lo = i0 + (p0 + 2 * q) * a.col, hi = 2 * q + 1 < kc ? lo + a.col : lo;
    for (size_t i = 0; i < mb; i += 16) {
      const __mmask16 m = first_bits(mb - i), m_hi = hi != lo ? m : 0;
      _mm512_storeu_si512(a_pack + q * MC + i,
                          a.b16 ? bits_across(a.b16 + lo + i, a.b16 + hi + i, m, m_hi)
                                : pairs_across(a.f32 + lo + i, a.f32 + hi + i, m, m_hi));
    }
  }
  return (PanelLayout){1, MC};
}

// C rows [0, mr) x 16 * halves columns (masks m0, m1) = alpha * A.B + cbeta * C over kp
// pairs. mr and halves are constants after inlining: the row loops unroll and the
// accumulators stay in registers. cbeta = 0 does not read C.
INLINE BF16_TARGET void tile_rows(const uint32_t *ap, PanelLayout al, const uint32_t *bp, size_t kp,
                                  float *c, size_t ldc, __mmask16 m0, __mmask16 m1, float alpha,
                                  float cbeta, const int mr, const int halves) {
  __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (size_t q = 0; q < kp; q++, ap += al.qs, bp += NR) {
    const __m512bh b0 = (__m512bh)_mm512_load_si512(bp);
    const __m512bh b1 = halves == 2 ? (__m512bh)_mm512_load_si512(bp + 16) : b0;
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32((int)ap[(size_t)r * al.rs]);
      acc0[r] = _mm512_dpbf16_ps(acc0[r], a, b0);
      if (halves == 2) acc1[r] = _mm512_dpbf16_ps(acc1[r], a, b1);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(cbeta);
#pragma GCC unroll 8
  for (int r = 0; r < mr; r++) {
    float *cr = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(acc0[r], va);
    if (cbeta != 0.0f) x0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, cr), vb, x0);
    _mm512_mask_storeu_ps(cr, m0, x0);
    if (halves == 2) {
      __m512 x1 = _mm512_mul_ps(acc1[r], va);
      if (cbeta != 0.0f) x1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, cr + 16), vb, x1);
      _mm512_mask_storeu_ps(cr + 16, m1, x1);
    }
  }
}

// A row count known at compile time in each case.
INLINE BF16_TARGET void tile_any(const uint32_t *ap, PanelLayout al, const uint32_t *bp, size_t kp,
                                 float *c, size_t ldc, __mmask16 m0, __mmask16 m1, float alpha,
                                 float cbeta, int mr, const int halves) {
  switch (mr) {
    case 8: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 8, halves); break;
    case 7: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 7, halves); break;
    case 6: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 6, halves); break;
    case 5: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 5, halves); break;
    case 4: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 4, halves); break;
    case 3: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 3, halves); break;
    case 2: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 2, halves); break;
    default: tile_rows(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, 1, halves); break;
  }
}

// Two zmm wide, or one where the last 16 or fewer columns are left.
static BF16_TARGET void tile(const uint32_t *ap, PanelLayout al, const uint32_t *bp, size_t kp,
                             float *c, size_t ldc, int mr, size_t nr, float alpha, float cbeta) {
  const __mmask16 m0 = first_bits(nr), m1 = first_bits(nr > 16 ? nr - 16 : 0);
  if (nr > 16)
    tile_any(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, mr, 2);
  else
    tile_any(ap, al, bp, kp, c, ldc, m0, m1, alpha, cbeta, mr, 1);
}

// C = beta C (an empty sum): beta = 0 writes zeros without reading C.
static void scale_rows(size_t m, size_t n, float beta, float *C, size_t ldc) {
  for (size_t i = 0; i < m; i++) {
    float *c = C + i * ldc;
    if (beta == 0.0f)
      memset(c, 0, n * sizeof *c);
    else
      for (size_t j = 0; j < n; j++) c[j] *= beta;
  }
}

// B as given (B, b_row, b_col), packed block by block into b_pack, or packed already
// (packed: its blocks in the order the loops below take them).
typedef struct {
  const float *B;
  size_t b_row, b_col;
  const uint32_t *packed;
} BSource;

static BF16_TARGET void run(size_t m, size_t n, size_t k, float alpha, ASource a, BSource b,
                            float beta, float *C, size_t ldc) {
  if (!m || !n) return;
  if (!k) {
    scale_rows(m, n, beta, C, ldc);
    return;
  }
  const uint32_t *next = b.packed;
  for (size_t j0 = 0; j0 < n; j0 += NC) {
    const size_t nc = min_size(NC, n - j0);
    for (size_t p0 = 0; p0 < k; p0 += GEMM_BF16_KC) {
      const size_t kc = min_size(GEMM_BF16_KC, k - p0), kp = (kc + 1) / 2;
      const float cbeta = p0 == 0 ? beta : 1.0f;  // later blocks add to C
      const uint32_t *bp = next ? next : b_pack;
      if (next)
        next += block_words(kc, nc);
      else
        pack_b(b_pack, b.B, b.b_row, b.b_col, p0, kc, j0, nc);
      for (size_t i0 = 0; i0 < m; i0 += MC) {
        const size_t mb = min_size(MC, m - i0);
        const PanelLayout al = pack_a(a, i0, mb, p0, kc);
        for (size_t ip = 0; ip < mb; ip += MR)
          for (size_t jp = 0; jp < nc; jp += NR)
            tile(a_pack + ip * al.rs, al, bp + jp / NR * kp * NR, kp,
                 C + (i0 + ip) * ldc + j0 + jp, ldc, (int)min_size(MR, mb - ip),
                 min_size(NR, nc - jp), alpha, cbeta);
      }
    }
  }
}

BF16_TARGET void gemm_bf16_avx512(size_t m, size_t n, size_t k, float alpha, const float *A,
                                  size_t a_row, size_t a_col, const float *B, size_t b_row,
                                  size_t b_col, float beta, float *C, size_t ldc) {
  run(m, n, k, alpha, (ASource){A, NULL, a_row, a_col}, (BSource){B, b_row, b_col, NULL}, beta,
      C, ldc);
}

BF16_TARGET void gemm_bf16_avx512_a16(size_t m, size_t n, size_t k, float alpha, const uint16_t *A,
                                      size_t a_row, size_t a_col, const float *B, size_t b_row,
                                      size_t b_col, float beta, float *C, size_t ldc) {
  run(m, n, k, alpha, (ASource){NULL, A, a_row, a_col}, (BSource){B, b_row, b_col, NULL}, beta,
      C, ldc);
}

// B's blocks in run's order (dst NULL: counted only).
BF16_TARGET size_t gemm_bf16_avx512_pack(uint32_t *dst, size_t k, size_t n, const float *B,
                                         size_t b_row, size_t b_col) {
  size_t words = 0;
  for (size_t j0 = 0; j0 < n; j0 += NC)
    for (size_t p0 = 0; p0 < k; p0 += GEMM_BF16_KC) {
      const size_t kc = min_size(GEMM_BF16_KC, k - p0), nc = min_size(NC, n - j0);
      if (dst) pack_b(dst + words, B, b_row, b_col, p0, kc, j0, nc);
      words += block_words(kc, nc);
    }
  return words;
}

BF16_TARGET void gemm_bf16_avx512_packed(size_t m, size_t n, size_t k, float alpha, const float *A,
                                         size_t a_row, size_t a_col, const uint32_t *Bp,
                                         float beta, float *C, size_t ldc) {
  run(m, n, k, alpha, (ASource){A, NULL, a_row, a_col}, (BSource){NULL, 0, 0, Bp}, beta, C, ldc);
}
#endif
