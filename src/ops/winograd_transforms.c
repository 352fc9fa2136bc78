// Winograd F(2x2, 3x3) transforms (see winograd_transforms.h). Each 2-D transform runs
// its 1-D transform down the tile's columns into a small stack buffer, then along the
// rows, CHUNK channels at a time. The 1-D kernels take every row as its own restrict
// parameter so that the loops over channels vectorize; the tile functions get an AVX2
// clone (no FMA: the same bits as SSE2).
#include "ops/winograd_transforms.h"

#include "core/fastexp.h"  // VDMC_AVX2_CLONES

enum { CHUNK = 64 };  // channels per pass: the stack buffers hold 16 x CHUNK floats

// ---- 1-D transforms over n channels --------------------------------------------------

// (o0..o3) = B^T (x0..x3)
static inline void bt_1d(float *restrict o0, float *restrict o1, float *restrict o2,
                         float *restrict o3, const float *restrict x0, const float *restrict x1,
                         const float *restrict x2, const float *restrict x3, size_t n) {
  for (size_t c = 0; c < n; c++) {
    o0[c] = x0[c] - x2[c];
    o1[c] = x1[c] + x2[c];
    o2[c] = x2[c] - x1[c];
    o3[c] = x1[c] - x3[c];
  }
}

// (o0, o1) = A^T (x0..x3)
static inline void at_1d(float *restrict o0, float *restrict o1, const float *restrict x0,
                         const float *restrict x1, const float *restrict x2,
                         const float *restrict x3, size_t n) {
  for (size_t c = 0; c < n; c++) {
    o0[c] = x0[c] + x1[c] + x2[c];
    o1[c] = x1[c] - x2[c] - x3[c];
  }
}

// (o0..o3) = A (x0, x1)
static inline void a_1d(float *restrict o0, float *restrict o1, float *restrict o2,
                        float *restrict o3, const float *restrict x0, const float *restrict x1,
                        size_t n) {
  for (size_t c = 0; c < n; c++) {
    o0[c] = x0[c];
    o1[c] = x0[c] + x1[c];
    o2[c] = x0[c] - x1[c];
    o3[c] = -x1[c];
  }
}

// (o0..o3) = G (x0, x1, x2)
static inline void g_1d(float *restrict o0, float *restrict o1, float *restrict o2,
                        float *restrict o3, const float *restrict x0, const float *restrict x1,
                        const float *restrict x2, size_t n) {
  for (size_t c = 0; c < n; c++) {
    o0[c] = x0[c];
    o1[c] = 0.5f * (x0[c] + x1[c] + x2[c]);
    o2[c] = 0.5f * (x0[c] - x1[c] + x2[c]);
    o3[c] = x2[c];
  }
}

// (o0, o1, o2) = G^T (x0..x3)
static inline void gt_1d(float *restrict o0, float *restrict o1, float *restrict o2,
                         const float *restrict x0, const float *restrict x1,
                         const float *restrict x2, const float *restrict x3, size_t n) {
  for (size_t c = 0; c < n; c++) {
    o0[c] = x0[c] + 0.5f * (x1[c] + x2[c]);
    o1[c] = 0.5f * (x1[c] - x2[c]);
    o2[c] = 0.5f * (x1[c] + x2[c]) + x3[c];
  }
}

static size_t chunk_len(size_t C, size_t c0) { return C - c0 < CHUNK ? C - c0 : CHUNK; }

// ---- tiles -----------------------------------------------------------------------------

VDMC_AVX2_CLONES
void wino_input_transform(float *v, size_t ld, const float *const d[WINO_POS], size_t C) {
  float t[WINO_POS][CHUNK];  // B^T d, row-major 4x4
  for (size_t c0 = 0; c0 < C; c0 += CHUNK) {
    const size_t n = chunk_len(C, c0);
    for (int j = 0; j < 4; j++)  // columns: t[.][j] = B^T d[.][j]
      bt_1d(t[j], t[4 + j], t[8 + j], t[12 + j], d[j] + c0, d[4 + j] + c0, d[8 + j] + c0,
            d[12 + j] + c0, n);
    for (int i = 0; i < 4; i++) {  // rows: v[i][.] = t[i][.] B
      float *row = v + (size_t)(4 * i) * ld + c0;
      bt_1d(row, row + ld, row + 2 * ld, row + 3 * ld, t[4 * i], t[4 * i + 1], t[4 * i + 2],
            t[4 * i + 3], n);
    }
  }
}

// y (n) = (accumulate ? y : add ? add : 0) + s
static inline void store_row(float *restrict y, const float *restrict s, const float *restrict add,
                             int accumulate, size_t n) {
  if (accumulate)
    for (size_t c = 0; c < n; c++) y[c] += s[c];
  else if (add)
    for (size_t c = 0; c < n; c++) y[c] = add[c] + s[c];
  else
    for (size_t c = 0; c < n; c++) y[c] = s[c];
}

VDMC_AVX2_CLONES
void wino_output_transform(float *const y[4], const float *m, size_t ld, const float *bias,
                           int accumulate, size_t C) {
  float t[8][CHUNK], s[4][CHUNK];  // A^T m (2x4), then (A^T m) A (2x2)
  for (size_t c0 = 0; c0 < C; c0 += CHUNK) {
    const size_t n = chunk_len(C, c0);
    for (int j = 0; j < 4; j++)  // columns
      at_1d(t[j], t[4 + j], m + (size_t)j * ld + c0, m + (size_t)(4 + j) * ld + c0,
            m + (size_t)(8 + j) * ld + c0, m + (size_t)(12 + j) * ld + c0, n);
    for (int i = 0; i < 2; i++)  // rows
      at_1d(s[2 * i], s[2 * i + 1], t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3], n);
    for (int k = 0; k < 4; k++) store_row(y[k] + c0, s[k], bias ? bias + c0 : NULL, accumulate, n);
  }
}

VDMC_AVX2_CLONES
void wino_grad_output_transform(float *dm, size_t ld, const float *const dy[4], size_t C) {
  float t[8][CHUNK];  // A dy, row-major 4x2
  for (size_t c0 = 0; c0 < C; c0 += CHUNK) {
    const size_t n = chunk_len(C, c0);
    for (int j = 0; j < 2; j++)  // columns
      a_1d(t[j], t[2 + j], t[4 + j], t[6 + j], dy[j] + c0, dy[2 + j] + c0, n);
    for (int i = 0; i < 4; i++) {  // rows
      float *row = dm + (size_t)(4 * i) * ld + c0;
      a_1d(row, row + ld, row + 2 * ld, row + 3 * ld, t[2 * i], t[2 * i + 1], n);
    }
  }
}

VDMC_AVX2_CLONES
void wino_weight_transform(float *u, const float *g, size_t n, size_t lo, size_t hi) {
  float t[12][CHUNK];  // G g, row-major 4x3
  for (size_t e0 = lo; e0 < hi; e0 += CHUNK) {
    const size_t len = chunk_len(hi, e0);
    for (int j = 0; j < 3; j++)  // columns
      g_1d(t[j], t[3 + j], t[6 + j], t[9 + j], g + (size_t)j * n + e0,
           g + (size_t)(3 + j) * n + e0, g + (size_t)(6 + j) * n + e0, len);
    for (int i = 0; i < 4; i++) {  // rows
      float *row = u + (size_t)(4 * i) * n + e0;
      g_1d(row, row + n, row + 2 * n, row + 3 * n, t[3 * i], t[3 * i + 1], t[3 * i + 2], len);
    }
  }
}

VDMC_AVX2_CLONES
void wino_weight_grad(float *dg, const float *du, size_t n, size_t lo, size_t hi) {
  float t[12][CHUNK], s[9][CHUNK];  // G^T du (3x4), then (G^T du) G (3x3)
  for (size_t e0 = lo; e0 < hi; e0 += CHUNK) {
    const size_t len = chunk_len(hi, e0);
    for (int j = 0; j < 4; j++)  // columns
      gt_1d(t[j], t[4 + j], t[8 + j], du + (size_t)j * n + e0, du + (size_t)(4 + j) * n + e0,
            du + (size_t)(8 + j) * n + e0, du + (size_t)(12 + j) * n + e0, len);
    for (int i = 0; i < 3; i++)  // rows
      gt_1d(s[3 * i], s[3 * i + 1], s[3 * i + 2], t[4 * i], t[4 * i + 1], t[4 * i + 2],
            t[4 * i + 3], len);
    for (int k = 0; k < 9; k++) store_row(dg + (size_t)k * n + e0, s[k], NULL, 1, len);
  }
}
