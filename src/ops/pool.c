// Max and average pooling (pool.h). Every output pixel (b, oy, ox) reads one clipped
// window of input pixels; forward threads take output rows. Backward scatters into
// overlapping windows, so its threads take whole images (no two write one pixel).
// Legend: B batch, H/W input size, Ho/Wo output size, C channels.
#include "ops/pool.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "ops/parallel.h"

int pool2d_out_h(const Pool2dDims *d) { return (d->H + 2 * d->pad - d->k) / d->stride + 1; }
int pool2d_out_w(const Pool2dDims *d) { return (d->W + 2 * d->pad - d->k) / d->stride + 1; }

// The window of output pixel (oy, ox) clipped to the image: rows [y0,y1), cols [x0,x1).
typedef struct {
  int y0, y1, x0, x1;
} PoolWindow;

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

static PoolWindow pool_window(const Pool2dDims *d, int oy, int ox) {
  const int ys = oy * d->stride - d->pad, xs = ox * d->stride - d->pad;
  PoolWindow w = {clampi(ys, 0, d->H), clampi(ys + d->k, 0, d->H), clampi(xs, 0, d->W),
                  clampi(xs + d->k, 0, d->W)};
  return w;
}

static size_t pixel(const Pool2dDims *d, size_t b, int y, int x) {
  return ((b * (size_t)d->H + (size_t)y) * (size_t)d->W + (size_t)x) * (size_t)d->C;
}

// One output pixel's C values from its window; src = image b of the input.
typedef void (*PoolPixelFn)(float *dst /* (C) */, const float *img /* (H,W,C) */,
                            const Pool2dDims *d, PoolWindow w);

static void max_pixel(float *dst, const float *img, const Pool2dDims *d, PoolWindow w) {
  const size_t C = (size_t)d->C;
  for (size_t c = 0; c < C; c++) dst[c] = -INFINITY;
  for (int y = w.y0; y < w.y1; y++)
    for (int x = w.x0; x < w.x1; x++) {
      const float *p = img + pixel(d, 0, y, x);
      for (size_t c = 0; c < C; c++) {  // branch-free, so the loop vectorizes
        const float v = p[c], m = dst[c];
        dst[c] = ((v > m) | (v != v)) ? v : m;
      }
    }
}

static void avg_pixel(float *dst, const float *img, const Pool2dDims *d, PoolWindow w) {
  const size_t C = (size_t)d->C;
  const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
  memset(dst, 0, C * sizeof(float));
  for (int y = w.y0; y < w.y1; y++)
    for (int x = w.x0; x < w.x1; x++) {
      const float *p = img + pixel(d, 0, y, x);
      for (size_t c = 0; c < C; c++) dst[c] += p[c];
    }
  for (size_t c = 0; c < C; c++) dst[c] /= count;
}

typedef struct {
  float *out;
  const float *inp;
  const Pool2dDims *d;
  PoolPixelFn fn;
} PoolArgs;

// Output rows [lo, hi) of the B*Ho rows.
static void pool_rows(void *ctx, size_t lo, size_t hi) {
  const PoolArgs *a = ctx;
  const Pool2dDims *d = a->d;
  const size_t Ho = (size_t)pool2d_out_h(d), Wo = (size_t)pool2d_out_w(d), C = (size_t)d->C;
  for (size_t r = lo; r < hi; r++) {
    const size_t b = r / Ho;
    const float *img = a->inp + pixel(d, b, 0, 0);
    for (size_t ox = 0; ox < Wo; ox++)
      a->fn(a->out + (r * Wo + ox) * C, img, d, pool_window(d, (int)(r % Ho), (int)ox));
  }
}

static void pool_forward(float *out, const float *inp, const Pool2dDims *d, PoolPixelFn fn) {
  const size_t rows = (size_t)d->B * (size_t)pool2d_out_h(d);
  const size_t work = rows * (size_t)pool2d_out_w(d) * (size_t)d->C * (size_t)(d->k * d->k);
  PoolArgs a = {out, inp, d, fn};
  par_for(rows, 1, work, pool_rows, &a);
}

void maxpool2d_forward(float *out, const float *inp, const Pool2dDims *d) {
  pool_forward(out, inp, d, max_pixel);
}

void avgpool2d_forward(float *out, const float *inp, const Pool2dDims *d) {
  pool_forward(out, inp, d, avg_pixel);
}

// ---- backward: one image per unit --------------------------------------------------
typedef struct {
  float *dinp;
  const float *dout, *inp;  // inp NULL for average pooling
  const Pool2dDims *d;
} PoolGradArgs;

// Max: the gradient of output channel c goes to the window's maximum, picked by the
// forward's rule (the first maximum; a NaN wins, the last one among several).
static void max_grad_pixel(float *dimg, const float *img, const float *g, const Pool2dDims *d,
                           PoolWindow w) {
  for (size_t c = 0; c < (size_t)d->C; c++) {
    size_t best = pixel(d, 0, w.y0, w.x0) + c;
    float top = -INFINITY;
    for (int y = w.y0; y < w.y1; y++)
      for (int x = w.x0; x < w.x1; x++) {
        const size_t i = pixel(d, 0, y, x) + c;
        if (img[i] > top || isnan(img[i])) top = img[i], best = i;
      }
    dimg[best] += g[c];
  }
}

static void avg_grad_pixel(float *dimg, const float *g, const Pool2dDims *d, PoolWindow w) {
  const size_t C = (size_t)d->C;
  const float count = (float)((w.y1 - w.y0) * (w.x1 - w.x0));
  for (int y = w.y0; y < w.y1; y++)
    for (int x = w.x0; x < w.x1; x++) {
      float *p = dimg + pixel(d, 0, y, x);
      for (size_t c = 0; c < C; c++) p[c] += g[c] / count;
    }
}

static void pool_grad_images(void *ctx, size_t lo, size_t hi) {
  const PoolGradArgs *a = ctx;
  const Pool2dDims *d = a->d;
  const int Ho = pool2d_out_h(d), Wo = pool2d_out_w(d);
  for (size_t b = lo; b < hi; b++) {
    float *dimg = a->dinp + pixel(d, b, 0, 0);
    for (int oy = 0; oy < Ho; oy++)
      for (int ox = 0; ox < Wo; ox++) {
        const float *g = a->dout + ((b * (size_t)Ho + (size_t)oy) * (size_t)Wo + (size_t)ox) * (size_t)d->C;
        PoolWindow w = pool_window(d, oy, ox);
        if (a->inp) max_grad_pixel(dimg, a->inp + pixel(d, b, 0, 0), g, d, w);
        else avg_grad_pixel(dimg, g, d, w);
      }
  }
}

static void pool_backward(float *dinp, const float *dout, const float *inp, const Pool2dDims *d) {
  if (!dinp) return;  // NULL gradient: not needed
  const size_t work = (size_t)d->B * (size_t)pool2d_out_h(d) * (size_t)pool2d_out_w(d) *
                      (size_t)d->C * (size_t)(d->k * d->k);
  PoolGradArgs a = {dinp, dout, inp, d};
  par_for((size_t)d->B, 1, work, pool_grad_images, &a);
}

void maxpool2d_backward(float *dinp, const float *dout, const float *inp, const Pool2dDims *d) {
  pool_backward(dinp, dout, inp, d);
}

void avgpool2d_backward(float *dinp, const float *dout, const Pool2dDims *d) {
  pool_backward(dinp, dout, NULL, d);
}

// ---- global average pool (sums in double; small tensors, one thread) ----------------
void global_avgpool_forward(float *out, const float *inp, int B, int HW, int C) {
  const size_t c = (size_t)C, hw = (size_t)HW;
  for (size_t b = 0; b < (size_t)B; b++)
    for (size_t i = 0; i < c; i++) {
      double s = 0;
      for (size_t p = 0; p < hw; p++) s += inp[(b * hw + p) * c + i];
      out[b * c + i] = (float)(s / (double)HW);
    }
}

void global_avgpool_backward(float *dinp, const float *dout, int B, int HW, int C) {
  if (!dinp) return;  // NULL gradient: not needed
  const size_t c = (size_t)C, hw = (size_t)HW;
  for (size_t b = 0; b < (size_t)B; b++)
    for (size_t p = 0; p < hw; p++)
      for (size_t i = 0; i < c; i++) dinp[(b * hw + p) * c + i] += dout[b * c + i] / (float)HW;
}
