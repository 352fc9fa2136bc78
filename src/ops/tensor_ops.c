// Residual add, channel concat/split, ADM scale-shift and per-example channel bias.
// Legend: P rows (= B*H*W), B batch, HW positions, C channels, Ca/Cb concat parts.
#include "ops/tensor_ops.h"

#include <string.h>

#include "ops/parallel.h"

enum { COLS = 512 };  // columns reduced at a time with double accumulators on the stack

// Arguments of the threaded tensor ops; each range function says which fields it reads.
typedef struct {
  float *out, *out2;
  const float *a, *b, *ss;
  size_t Ca, Cb;  // concat parts; scale-shift: Ca = C, Cb = HW
} TensorArgs;

static void zero_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  memset(t->out + lo, 0, (hi - lo) * sizeof(float));
}

// Rows [lo, hi) of dst (Cb, Ca) += columns of src (Ca, Cb).
static void transpose_accumulate_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  for (size_t c = lo; c < hi; c++)
    for (size_t r = 0; r < t->Ca; r++) t->out[c * t->Ca + r] += t->a[r * t->Cb + c];
}

void transpose_accumulate(float *dst, const float *src, size_t R, size_t C) {
  TensorArgs t = {.out = dst, .a = src, .Ca = R, .Cb = C};
  par_for(C, 1, R * C, transpose_accumulate_range, &t);
}

void zero_floats(float *x, size_t n) {
  TensorArgs t = {.out = x};
  par_for(n, 16, n, zero_range, &t);
}

static void copy_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  memcpy(t->out + lo, t->a + lo, (hi - lo) * sizeof(float));
}

void copy_floats(float *dst, const float *src, size_t n) {
  TensorArgs t = {.out = dst, .a = src};
  par_for(n, 16, n, copy_range, &t);
}

static void add_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  for (size_t i = lo; i < hi; i++) t->out[i] = t->a[i] + t->b[i];
}

void add_forward(float *out, const float *a, const float *b, size_t n) {
  TensorArgs t = {.out = out, .a = a, .b = b};
  par_for(n, 16, n, add_range, &t);
}

static void accumulate_serial(float *dst, const float *src, size_t n) {
  for (size_t i = 0; i < n; i++) dst[i] += src[i];
}

static void accumulate_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  accumulate_serial(t->out + lo, t->a + lo, hi - lo);
}

void accumulate(float *dst, const float *src, size_t n) {
  if (!dst) return;
  TensorArgs t = {.out = dst, .a = src};
  par_for(n, 16, n, accumulate_range, &t);
}

// dst[c] += sum_p a[p,c] * (b ? b[p,c] : 1) for columns c in [0, C) of a, b (P, ld),
// row by row so the memory is read in order; double accumulators for COLS columns at
// a time.
static void colsum_strided(float *dst, const float *a, const float *b, size_t P, int C,
                           size_t ld) {
  for (int c0 = 0; c0 < C; c0 += COLS) {
    int len = C - c0 < COLS ? C - c0 : COLS;
    double acc[COLS];
    for (int j = 0; j < len; j++) acc[j] = 0;
    for (size_t p = 0; p < P; p++) {
      const float *ar = a + p * ld + c0;
      if (b) {
        const float *br = b + p * ld + c0;
        for (int j = 0; j < len; j++) acc[j] += (double)ar[j] * br[j];
      } else {
        for (int j = 0; j < len; j++) acc[j] += ar[j];
      }
    }
    for (int j = 0; j < len; j++) dst[c0 + j] += (float)acc[j];
  }
}

static void colsum_product_accumulate(float *dst, const float *a, const float *b, size_t P,
                                      int C) {
  colsum_strided(dst, a, b, P, C, (size_t)C);
}

// Columns [lo, hi) of src (Ca = P rows, Cb = C columns) summed into out.
static void colsum_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  colsum_strided(t->out + lo, t->a + lo, NULL, t->Ca, (int)(hi - lo), t->Cb);
}

// Threads take ranges of 16 columns, each summing its columns over all rows in order.
void colsum_accumulate(float *dst, const float *src, size_t P, int C) {
  if (!dst) return;
  TensorArgs t = {.out = dst, .a = src, .Ca = P, .Cb = (size_t)C};
  par_for((size_t)C, 16, P * (size_t)C, colsum_range, &t);
}

// Rows [lo, hi): out = [a | b].
static void concat_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  size_t C = t->Ca + t->Cb;
  for (size_t p = lo; p < hi; p++) {
    memcpy(t->out + p * C, t->a + p * t->Ca, t->Ca * sizeof(float));
    memcpy(t->out + p * C + t->Ca, t->b + p * t->Cb, t->Cb * sizeof(float));
  }
}

void concat_channels_forward(float *out, const float *a, const float *b, size_t P, int Ca,
                             int Cb) {
  TensorArgs t = {.out = out, .a = a, .b = b, .Ca = (size_t)Ca, .Cb = (size_t)Cb};
  par_for(P, 1, P * t.Ca + P * t.Cb, concat_range, &t);
}

// Rows [lo, hi): out (da) += first Ca channels of a (dout), out2 (db) += the rest.
static void split_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  size_t C = t->Ca + t->Cb;
  for (size_t p = lo; p < hi; p++) {
    if (t->out) accumulate_serial(t->out + p * t->Ca, t->a + p * C, t->Ca);
    if (t->out2) accumulate_serial(t->out2 + p * t->Cb, t->a + p * C + t->Ca, t->Cb);
  }
}

void concat_channels_backward(float *da, float *db, const float *dout, size_t P, int Ca,
                              int Cb) {
  TensorArgs t = {.out = da, .out2 = db, .a = dout, .Ca = (size_t)Ca, .Cb = (size_t)Cb};
  par_for(P, 1, P * t.Ca + P * t.Cb, split_range, &t);
}

// Rows [lo, hi) of (B*HW, C): out = x (1 + scale_b) + shift_b.
static void scale_shift_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  size_t C = t->Ca, HW = t->Cb;
  for (size_t r = lo; r < hi; r++) {
    const float *scale = t->ss + r / HW * 2 * C, *shift = scale + C;
    const float *x = t->a + r * C;
    float *o = t->out + r * C;
    for (size_t c = 0; c < C; c++) o[c] = x[c] * (1.0f + scale[c]) + shift[c];
  }
}

void scale_shift_forward(float *out, const float *x, const float *ss, int B, int HW, int C) {
  TensorArgs t = {.out = out, .a = x, .ss = ss, .Ca = (size_t)C, .Cb = (size_t)HW};
  par_for((size_t)B * HW, 1, (size_t)B * HW * C, scale_shift_range, &t);
}

// Rows [lo, hi): dx (out) += dout (b) * (1 + scale).
static void scale_shift_dx_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  size_t C = t->Ca, HW = t->Cb;
  for (size_t r = lo; r < hi; r++) {
    const float *scale = t->ss + r / HW * 2 * C, *dy = t->b + r * C;
    float *dx = t->out + r * C;
    for (size_t c = 0; c < C; c++) dx[c] += dy[c] * (1.0f + scale[c]);
  }
}

// Examples [lo, hi): dss (out2) [b] += (sum_p dout*x, sum_p dout); each owns its slice.
static void scale_shift_dss_range(void *ctx, size_t lo, size_t hi) {
  const TensorArgs *t = ctx;
  size_t C = t->Ca, HW = t->Cb, tile = HW * C;
  for (size_t b = lo; b < hi; b++) {
    const float *dy = t->b + b * tile;
    colsum_product_accumulate(t->out2 + b * 2 * C, dy, t->a + b * tile, HW, (int)C);
    colsum_product_accumulate(t->out2 + b * 2 * C + C, dy, NULL, HW, (int)C);
  }
}

// dx += dout * (1 + scale); dscale[b] += sum_p dout*x; dshift[b] += sum_p dout.
void scale_shift_backward(float *dx, float *dss, const float *dout, const float *x,
                          const float *ss, int B, int HW, int C) {
  TensorArgs t = {.out = dx, .out2 = dss, .a = x, .b = dout, .ss = ss, .Ca = (size_t)C,
                  .Cb = (size_t)HW};
  size_t work = (size_t)B * HW * C;
  if (dx) par_for((size_t)B * HW, 1, work, scale_shift_dx_range, &t);
  if (dss) par_for((size_t)B, 1, work, scale_shift_dss_range, &t);
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
