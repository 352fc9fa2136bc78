// Residual add, channel concat/split, ADM scale-shift and per-example channel bias.
// Legend: P rows (= B*H*W), B batch, HW positions, C channels, Ca/Cb concat parts.
#include "ops/tensor_ops.h"

#include <string.h>

enum { COLS = 512 };  // columns reduced at a time with double accumulators on the stack

void add_forward(float *out, const float *a, const float *b, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void accumulate(float *dst, const float *src, size_t n) {
  if (!dst) return;
  for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

// dst[c] += sum_p a[p,c] * (b ? b[p,c] : 1) for a, b (P, C), row by row so the
// memory is read in order; double accumulators for COLS columns at a time.
static void colsum_product_accumulate(float *dst, const float *a, const float *b, size_t P,
                                      int C) {
  for (int c0 = 0; c0 < C; c0 += COLS) {
    int len = C - c0 < COLS ? C - c0 : COLS;
    double acc[COLS];
    for (int j = 0; j < len; j++) acc[j] = 0;
    for (size_t p = 0; p < P; p++) {
      const float *ar = a + p * (size_t)C + c0;
      if (b) {
        const float *br = b + p * (size_t)C + c0;
        for (int j = 0; j < len; j++) acc[j] += (double)ar[j] * br[j];
      } else {
        for (int j = 0; j < len; j++) acc[j] += ar[j];
      }
    }
    for (int j = 0; j < len; j++) dst[c0 + j] += (float)acc[j];
  }
}

void colsum_accumulate(float *dst, const float *src, size_t P, int C) {
  if (dst) colsum_product_accumulate(dst, src, NULL, P, C);
}

void concat_channels_forward(float *out, const float *a, const float *b, size_t P, int Ca,
                             int Cb) {
  size_t C = (size_t)Ca + Cb;
  for (size_t p = 0; p < P; p++) {
    memcpy(out + p * C, a + p * Ca, (size_t)Ca * sizeof *out);
    memcpy(out + p * C + Ca, b + p * Cb, (size_t)Cb * sizeof *out);
  }
}

void concat_channels_backward(float *da, float *db, const float *dout, size_t P, int Ca,
                              int Cb) {
  size_t C = (size_t)Ca + Cb;
  for (size_t p = 0; p < P; p++) {
    if (da) accumulate(da + p * Ca, dout + p * C, (size_t)Ca);
    if (db) accumulate(db + p * Cb, dout + p * C + Ca, (size_t)Cb);
  }
}

void scale_shift_forward(float *out, const float *x, const float *ss, int B, int HW, int C) {
  for (size_t b = 0; b < (size_t)B; b++) {
    const float *scale = ss + b * 2 * C, *shift = scale + C;
    for (size_t p = 0; p < (size_t)HW; p++) {
      size_t o = (b * HW + p) * C;
      for (int c = 0; c < C; c++) out[o + c] = x[o + c] * (1.0f + scale[c]) + shift[c];
    }
  }
}

// dx += dout * (1 + scale); dscale[b] += sum_p dout*x; dshift[b] += sum_p dout.
void scale_shift_backward(float *dx, float *dss, const float *dout, const float *x,
                          const float *ss, int B, int HW, int C) {
  size_t tile = (size_t)HW * C;
  for (size_t b = 0; b < (size_t)B; b++) {
    const float *scale = ss + b * 2 * C;
    const float *dy = dout + b * tile;
    if (dx) {
      for (size_t p = 0; p < (size_t)HW; p++) {
        float *dxr = dx + b * tile + p * C;
        const float *dyr = dy + p * C;
        for (int c = 0; c < C; c++) dxr[c] += dyr[c] * (1.0f + scale[c]);
      }
    }
    if (dss) {
      colsum_product_accumulate(dss + b * 2 * C, dy, x + b * tile, (size_t)HW, C);
      colsum_product_accumulate(dss + b * 2 * C + C, dy, NULL, (size_t)HW, C);
    }
  }
}

void add_channel_bias_forward(float *out, const float *x, const float *v, int B, int HW, int C) {
  for (size_t b = 0; b < (size_t)B; b++)
    for (size_t p = 0; p < (size_t)HW; p++) {
      size_t o = (b * HW + p) * C;
      for (int c = 0; c < C; c++) out[o + c] = x[o + c] + v[b * C + c];
    }
}

void add_channel_bias_backward(float *dx, float *dv, const float *dout, int B, int HW, int C) {
  size_t tile = (size_t)HW * C;
  accumulate(dx, dout, (size_t)B * tile);
  if (!dv) return;
  for (size_t b = 0; b < (size_t)B; b++)
    colsum_accumulate(dv + b * C, dout + b * tile, (size_t)HW, C);
}
