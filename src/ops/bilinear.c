// Bilinear resize (bilinear.h). Along each axis an output index o has two taps
// (i0, i1) with weights (l0, l1), computed in float32 as PyTorch's CPU kernel does;
// an output value is l0y*(l0x*a + l1x*b) + l1y*(l0x*c + l1x*d) over the four taps.
// Forward threads take output rows; backward scatters, so its threads take images.
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
  float *out;
  const float *inp;    // one of inp / inp_u8 is set
  const uint8_t *inp_u8;
  const BilinearDims *d;
} BilinearArgs;

// Output rows [lo, hi) of the B*Ho rows; the u8 and float inputs share the loop.
static void bilinear_rows(void *ctx, size_t lo, size_t hi) {
  const BilinearArgs *a = ctx;
  const BilinearDims *d = a->d;
  const size_t C = (size_t)d->C;
  for (size_t r = lo; r < hi; r++) {
    const size_t b = r / (size_t)d->Ho;
    const BilinearTap ty = bilinear_tap((int)(r % (size_t)d->Ho), d->H, d->Ho);
    for (int ox = 0; ox < d->Wo; ox++) {
      const BilinearTap tx = bilinear_tap(ox, d->W, d->Wo);
      size_t p[4];
      bilinear_corners(p, d, b, ty, tx);
      float *o = a->out + (r * (size_t)d->Wo + (size_t)ox) * C;
      for (size_t c = 0; c < C; c++) {
        float v[4];
        for (int k = 0; k < 4; k++)
          v[k] = a->inp_u8 ? (float)a->inp_u8[p[k] + c] / 255.0f : a->inp[p[k] + c];
        o[c] = ty.l0 * (tx.l0 * v[0] + tx.l1 * v[1]) + ty.l1 * (tx.l0 * v[2] + tx.l1 * v[3]);
      }
    }
  }
}

static void bilinear_run(float *out, const float *inp, const uint8_t *inp_u8, const BilinearDims *d) {
  const size_t rows = (size_t)d->B * (size_t)d->Ho;
  BilinearArgs a = {out, inp, inp_u8, d};
  par_for(rows, 1, 4 * rows * (size_t)d->Wo * (size_t)d->C, bilinear_rows, &a);
}

void bilinear_forward(float *out, const float *inp, const BilinearDims *d) {
  bilinear_run(out, inp, NULL, d);
}

void bilinear_forward_u8(float *out, const uint8_t *inp, const BilinearDims *d) {
  bilinear_run(out, NULL, inp, d);
}

typedef struct {
  float *dinp;
  const float *dout;
  const BilinearDims *d;
} BilinearGradArgs;

static void bilinear_grad_images(void *ctx, size_t lo, size_t hi) {
  const BilinearGradArgs *a = ctx;
  const BilinearDims *d = a->d;
  const size_t C = (size_t)d->C;
  for (size_t b = lo; b < hi; b++)
    for (int oy = 0; oy < d->Ho; oy++) {
      const BilinearTap ty = bilinear_tap(oy, d->H, d->Ho);
      for (int ox = 0; ox < d->Wo; ox++) {
        const BilinearTap tx = bilinear_tap(ox, d->W, d->Wo);
        const float w[4] = {ty.l0 * tx.l0, ty.l0 * tx.l1, ty.l1 * tx.l0, ty.l1 * tx.l1};
        const float *g = a->dout + ((b * (size_t)d->Ho + (size_t)oy) * (size_t)d->Wo + (size_t)ox) * C;
        size_t p[4];
        bilinear_corners(p, d, b, ty, tx);
        for (int k = 0; k < 4; k++)
          for (size_t c = 0; c < C; c++) a->dinp[p[k] + c] += w[k] * g[c];
      }
    }
}

void bilinear_backward(float *dinp, const float *dout, const BilinearDims *d) {
  if (!dinp) return;  // NULL gradient: not needed
  BilinearGradArgs a = {dinp, dout, d};
  par_for((size_t)d->B, 1, 4 * (size_t)d->B * (size_t)d->Ho * (size_t)d->Wo * (size_t)d->C,
          bilinear_grad_images, &a);
}
