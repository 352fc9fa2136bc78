// Inverted dropout with a mask regenerated from the keyed RNG stream
// (seed, RNG_DROPOUT, site, step, first_example + b), 16 bits per element (dropout.h,
// docs/rng.md), so the mask of an example does not depend on which rank or batch slice
// it runs in. Both directions are y[j] += or = keep(j) ? x[j] * scale : 0; one loop.
#include "ops/dropout.h"

#include "core/fastexp.h"
#include "core/rng.h"
#include "ops/parallel.h"

#include <math.h>
#include <string.h>

enum { DROPOUT_CHUNK = 512 };  // mask elements per unit (DROPOUT_CHUNK / 2 words drawn)

// Elements [j0, j0+m) of example b (j0 even): y = mask(x) (accumulate = 0) or y += mask(x).
// Word i holds the 16-bit values of elements 2i (low half) and 2i+1 (high half); they are
// split into h[] first so that the masking loop is a flat, vectorizable loop (SIMD
// clones, core/fastexp.h: integer work and one product, the same bits).
VDMC_SIMD_CLONES
static void dropout_chunk(float *yb, const float *xb, size_t j0, size_t m, const RngStream *s,
                          uint32_t thr, float scale, int accumulate) {
  uint32_t w[DROPOUT_CHUNK / 2];
  uint16_t h[DROPOUT_CHUNK];
  size_t words = (m + 1) / 2;
  rng_bits(w, words, s, j0 / 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  memcpy(h, w, words * sizeof *w);  // low half first in memory: h[2i], h[2i+1]
#else
  for (size_t i = 0; i < words; i++) {
    h[2 * i] = (uint16_t)(w[i] & 0xFFFFu);
    h[2 * i + 1] = (uint16_t)(w[i] >> 16);
  }
#endif
  const float *x = xb + j0;
  float *y = yb + j0;
  uint16_t t = (uint16_t)thr;  // thr <= 65535
  // x[j] * scale is computed for every element and its bits ANDed with an all-ones or
  // all-zero mask (+0.0f is all zeros): GCC 12 vectorizes that, but compiles a float
  // select (or the conditional product it replaced) to a scalar loop with a
  // data-dependent branch, ~8x slower here. Same bits as the select.
  for (size_t j = 0; j < m; j++) {
    const float kept = x[j] * scale;
    uint32_t bits;
    memcpy(&bits, &kept, sizeof bits);
    bits &= 0u - (uint32_t)(h[j] >= t);
    float v;
    memcpy(&v, &bits, sizeof v);
    if (accumulate)
      y[j] += v;
    else
      y[j] = v;
  }
}

typedef struct {
  float *y;
  const float *x;
  size_t n, per;  // floats per example, chunks per example
  const DropoutKey *key;
  uint32_t thr;  // keep iff the element's 16 bits >= thr
  float scale;
  int accumulate;
} DropoutArgs;

// Units [lo, hi): p == 0 copies/adds floats, else (example, chunk) units.
static void dropout_range(void *ctx, size_t lo, size_t hi) {
  const DropoutArgs *a = ctx;
  if (a->key->p == 0.0f) {  // exact identity: no draws, no scaling
    for (size_t i = lo; i < hi; i++) a->y[i] = a->accumulate ? a->y[i] + a->x[i] : a->x[i];
    return;
  }
  for (size_t u = lo; u < hi; u++) {
    size_t b = u / a->per, j0 = u % a->per * DROPOUT_CHUNK;
    size_t m = a->n - j0 < DROPOUT_CHUNK ? a->n - j0 : DROPOUT_CHUNK;
    const DropoutKey *k = a->key;
    RngStream s = {k->seed, RNG_DROPOUT, k->site, k->step, k->first_example + b};
    dropout_chunk(a->y + b * a->n, a->x + b * a->n, j0, m, &s, a->thr, a->scale, a->accumulate);
  }
}

// y = mask(x) (accumulate = 0) or y += mask(x) (accumulate = 1); y may alias x.
static void dropout_apply(float *y, const float *x, int B, size_t n, const DropoutKey *key,
                          int accumulate) {
  const size_t total = (size_t)B * n, per = (n + DROPOUT_CHUNK - 1) / DROPOUT_CHUNK;
  long t = lrintf(key->p * 65536.0f);
  uint32_t thr = t < 0 ? 0 : t > 65535 ? 65535 : (uint32_t)t;
  DropoutArgs a = {y, x, n, per, key, thr, (float)(65536.0 / (65536.0 - thr)), accumulate};
  if (key->p == 0.0f)
    par_for(total, 16, total, dropout_range, &a);
  else
    par_for((size_t)B * per, 1, total, dropout_range, &a);
}

void dropout_forward(float *out, const float *inp, int B, size_t n_per_example,
                     const DropoutKey *key) {
  dropout_apply(out, inp, B, n_per_example, key, 0);
}

void dropout_backward(float *dinp, const float *dout, int B, size_t n_per_example,
                      const DropoutKey *key) {
  if (!dinp) return;
  dropout_apply(dinp, dout, B, n_per_example, key, 1);
}

void dropout_backward_inplace(float *d, int B, size_t n_per_example, const DropoutKey *key) {
  dropout_apply(d, d, B, n_per_example, key, 0);
}
