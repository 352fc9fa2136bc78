// Nearest up-sampling x2 and 2x2 average pooling (NHWC). Both pair every low-res
// pixel (b, y, x) with the 2x2 high-res block (b, 2y+dy, 2x+dx), so one walker
// visits the pairs and three small kernels say what to do with a pair's C floats.
// Legend: B batch, (h, w) low-res size, C channels.
#include "ops/resample.h"

#include <stddef.h>
#include <string.h>

#include "ops/parallel.h"

typedef void (*ResamplePairFn)(float *dst /* (C) */, const float *src /* (C) */, size_t C);

static void pair_copy(float *dst, const float *src, size_t C) { memcpy(dst, src, C * sizeof(float)); }
static void pair_add(float *dst, const float *src, size_t C) {
  for (size_t i = 0; i < C; i++) dst[i] += src[i];
}
static void pair_add_quarter(float *dst, const float *src, size_t C) {
  for (size_t i = 0; i < C; i++) dst[i] += 0.25f * src[i];
}

// Low-res rows [by0, by1) of the (B*h) rows: for each low-res pixel and each of its 4
// high-res pixels, fn(dst pixel, src pixel). The low-res tensor is (B,h,w,C), the
// high-res one (B,2h,2w,C); src_is_lo says which of dst/src is the low-res one.
static void resample_rows(float *dst, const float *src, int src_is_lo, size_t by0, size_t by1,
                          int w, int C, ResamplePairFn fn) {
  const size_t c = (size_t)C, W2 = 2 * (size_t)w;
  for (size_t by = by0; by < by1; by++)
    for (size_t x = 0; x < (size_t)w; x++) {
      const size_t lo = (by * (size_t)w + x) * c;
      for (size_t dy = 0; dy < 2; dy++)
        for (size_t dx = 0; dx < 2; dx++) {
          const size_t hi = ((2 * by + dy) * W2 + 2 * x + dx) * c;
          fn(dst + (src_is_lo ? hi : lo), src + (src_is_lo ? lo : hi), c);
        }
    }
}

typedef struct {
  float *dst;
  const float *src;
  int src_is_lo, w, C;
  ResamplePairFn fn;
} ResampleArgs;

static void resample_range(void *ctx, size_t lo, size_t hi) {
  const ResampleArgs *a = ctx;
  resample_rows(a->dst, a->src, a->src_is_lo, lo, hi, a->w, a->C, a->fn);
}

// All B*h low-res rows; threads take whole rows (a row writes only its own low-res
// row or its own 2 high-res rows).
static void resample_pairs(float *dst, const float *src, int src_is_lo, int B, int h, int w,
                           int C, ResamplePairFn fn) {
  const size_t rows = (size_t)B * (size_t)h;
  ResampleArgs a = {dst, src, src_is_lo, w, C, fn};
  par_for(rows, 1, 4 * rows * (size_t)w * (size_t)C, resample_range, &a);
}

void upsample2x_forward(float *out, const float *inp, int B, int H, int W, int C) {
  resample_pairs(out, inp, 1, B, H, W, C, pair_copy);
}

void upsample2x_backward(float *dinp, const float *dout, int B, int H, int W, int C) {
  resample_pairs(dinp, dout, 0, B, H, W, C, pair_add);
}

void avgpool2x_forward(float *out, const float *inp, int B, int H, int W, int C) {
  memset(out, 0, (size_t)B * (size_t)(H / 2) * (size_t)(W / 2) * (size_t)C * sizeof(float));
  resample_pairs(out, inp, 0, B, H / 2, W / 2, C, pair_add_quarter);
}

void avgpool2x_backward(float *dinp, const float *dout, int B, int H, int W, int C) {
  resample_pairs(dinp, dout, 1, B, H / 2, W / 2, C, pair_add_quarter);
}
