// Bilinear resize (bilinear.h). Along each axis an output index o has two taps
// (i0, i1) with weights (l0, l1), computed in float32 as PyTorch's CPU kernel does;
// an output value is l0y*(l0x*a + l1x*b) + l1y*(l0x*c + l1x*d) over the four taps.
// One walker visits the output pixels with their taps; forward threads take output rows,
// backward (which scatters) whole images.
#include "ops/bilinear.h"

#include <stddef.h>

#include "ops/parallel.h"

typedef struct {
  int i0, i1;
  float l0, l1;
} BilinearTap;

static BilinearTap bilinear_tap(int o, int in, int out) {
  const float scale = (float)in / (float)out;
  float src = scale * ((float)o + 0.5f) - 0.5f;
  if (src < 0.0f) src = 0.0f;
  BilinearTap t;
  t.i0 = (int)src;
  t.i1 = t.i0 + (t.i0 < in - 1 ? 1 : 0);
  t.l1 = src - (float)t.i0;
  if (t.l1 > 1.0f) t.l1 = 1.0f;
  t.l0 = 1.0f - t.l1;
  return t;
}

// Offsets (in floats) of the four input pixels blended into output pixel (b, ty, tx):
// p[0] = (i0y, i0x), p[1] = (i0y, i1x), p[2] = (i1y, i0x), p[3] = (i1y, i1x).
static void bilinear_corners(size_t p[4], const BilinearDims *d, size_t b, BilinearTap ty, BilinearTap tx) {
  const size_t row0 = (b * (size_t)d->H + (size_t)ty.i0) * (size_t)d->W;
  const size_t row1 = (b * (size_t)d->H + (size_t)ty.i1) * (size_t)d->W, C = (size_t)d->C;
  p[0] = (row0 + (size_t)tx.i0) * C, p[1] = (row0 + (size_t)tx.i1) * C;
  p[2] = (row1 + (size_t)tx.i0) * C, p[3] = (row1 + (size_t)tx.i1) * C;
}

typedef struct {
  float *out;             // forward: (B,Ho,Wo,C); backward: dinp (B,H,W,C)
  const float *inp;       // forward from floats, or dout in backward
  const uint8_t *inp_u8;  // forward from uint8 (inp NULL)
  const BilinearDims *d;
} BilinearArgs;

// One output pixel: o = its offset in (B,Ho,Wo,C), p = its four taps in (B,H,W,C).
typedef void (*BilinearPixelFn)(const BilinearArgs *a, size_t o, const size_t p[4], BilinearTap ty,
                                BilinearTap tx);

static void pixel_forward(const BilinearArgs *a, size_t o, const size_t p[4], BilinearTap ty, BilinearTap tx) {
  for (size_t c = 0; c < (size_t)a->d->C; c++) {
    float v[4];
    for (int k = 0; k < 4; k++) v[k] = a->inp_u8 ? (float)a->inp_u8[p[k] + c] / 255.0f : a->inp[p[k] + c];
    a->out[o + c] = ty.l0 * (tx.l0 * v[0] + tx.l1 * v[1]) + ty.l1 * (tx.l0 * v[2] + tx.l1 * v[3]);
  }
}

static void pixel_backward(const BilinearArgs *a, size_t o, const size_t p[4], BilinearTap ty, BilinearTap tx) {
  const float w[4] = {ty.l0 * tx.l0, ty.l0 * tx.l1, ty.l1 * tx.l0, ty.l1 * tx.l1};
  for (int k = 0; k < 4; k++)
    for (size_t c = 0; c < (size_t)a->d->C; c++) a->out[p[k] + c] += w[k] * a->inp[o + c];
}

// Output rows [r0, r1) of the B*Ho rows, pixel by pixel.
static void bilinear_walk(const BilinearArgs *a, size_t r0, size_t r1, BilinearPixelFn fn) {
  const BilinearDims *d = a->d;
  for (size_t r = r0; r < r1; r++) {
    const size_t b = r / (size_t)d->Ho;
    const BilinearTap ty = bilinear_tap((int)(r % (size_t)d->Ho), d->H, d->Ho);
    for (int ox = 0; ox < d->Wo; ox++) {
      const BilinearTap tx = bilinear_tap(ox, d->W, d->Wo);
      size_t p[4];
      bilinear_corners(p, d, b, ty, tx);
      fn(a, (r * (size_t)d->Wo + (size_t)ox) * (size_t)d->C, p, ty, tx);
    }
  }
}

static void forward_rows(void *ctx, size_t lo, size_t hi) { bilinear_walk(ctx, lo, hi, pixel_forward); }

// Images [lo, hi): backward scatters within an image only.
static void backward_images(void *ctx, size_t lo, size_t hi) {
  const BilinearArgs *a = ctx;
  bilinear_walk(a, lo * (size_t)a->d->Ho, hi * (size_t)a->d->Ho, pixel_backward);
}

static size_t bilinear_work(const BilinearDims *d) {
  return 4 * (size_t)d->B * (size_t)d->Ho * (size_t)d->Wo * (size_t)d->C;
}

void bilinear_forward(float *out, const float *inp, const BilinearDims *d) {
  BilinearArgs a = {out, inp, NULL, d};
  par_for((size_t)d->B * (size_t)d->Ho, 1, bilinear_work(d), forward_rows, &a);
}

void bilinear_forward_u8(float *out, const uint8_t *inp, const BilinearDims *d) {
  BilinearArgs a = {out, NULL, inp, d};
  par_for((size_t)d->B * (size_t)d->Ho, 1, bilinear_work(d), forward_rows, &a);
}

void bilinear_backward(float *dinp, const float *dout, const BilinearDims *d) {
  if (!dinp) return;  // NULL gradient: not needed
  BilinearArgs a = {dinp, dout, NULL, d};
  par_for((size_t)d->B, 1, bilinear_work(d), backward_images, &a);
}
