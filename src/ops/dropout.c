// Inverted dropout with a mask regenerated from the keyed RNG stream
// (seed, RNG_DROPOUT, site, step, first_example + b), element j (docs/rng.md), so the
// mask of an example does not depend on which rank or batch slice it runs in.
// Both directions are y[j] += or = keep(j) ? x[j] / (1 - p) : 0; they share one loop.
#include "ops/dropout.h"

#include "core/rng.h"
#include "ops/parallel.h"

enum { DROPOUT_CHUNK = 256 };  // uniforms drawn per rng_uniform call (stack buffer)

// Elements [j0, j0+m) of example b: y = mask(x) (accumulate = 0) or y += mask(x).
static void dropout_chunk(float *yb, const float *xb, size_t j0, size_t m, const RngStream *s,
                          float p, float scale, int accumulate) {
  float u[DROPOUT_CHUNK];
  rng_uniform(u, m, s, j0);
  for (size_t j = 0; j < m; j++) {
    float v = u[j] >= p ? xb[j0 + j] * scale : 0.0f;
    yb[j0 + j] = accumulate ? yb[j0 + j] + v : v;
  }
}

typedef struct {
  float *y;
  const float *x;
  size_t n, per;  // floats per example, chunks per example
  const DropoutKey *key;
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
    dropout_chunk(a->y + b * a->n, a->x + b * a->n, j0, m, &s, k->p, a->scale, a->accumulate);
  }
}

// y = mask(x) (accumulate = 0) or y += mask(x) (accumulate = 1); y may alias x.
static void dropout_apply(float *y, const float *x, int B, size_t n, const DropoutKey *key,
                          int accumulate) {
  const size_t total = (size_t)B * n, per = (n + DROPOUT_CHUNK - 1) / DROPOUT_CHUNK;
  DropoutArgs a = {y, x, n, per, key, 1.0f / (1.0f - key->p), accumulate};
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
