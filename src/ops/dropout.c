// Inverted dropout with a mask regenerated from the keyed RNG stream
// (seed, RNG_DROPOUT, site, step, first_example + b), element j (docs/rng.md), so the
// mask of an example does not depend on which rank or batch slice it runs in.
// Both directions are y[j] += or = keep(j) ? x[j] / (1 - p) : 0; they share one loop.
#include "ops/dropout.h"


#include "core/rng.h"

enum { DROPOUT_CHUNK = 256 };  // uniforms drawn per rng_uniform call (stack buffer)

// y = mask(x) (accumulate = 0) or y += mask(x) (accumulate = 1); y may alias x.
static void dropout_apply(float *y, const float *x, int B, size_t n, const DropoutKey *key,
                          int accumulate) {
  if (key->p == 0.0f) {  // exact identity: no draws, no scaling
    for (size_t i = 0; i < (size_t)B * n; i++) y[i] = accumulate ? y[i] + x[i] : x[i];
    return;
  }
  const float scale = 1.0f / (1.0f - key->p);
  float u[DROPOUT_CHUNK];
  for (int b = 0; b < B; b++) {
    RngStream s = {key->seed, RNG_DROPOUT, key->site, key->step, key->first_example + (uint64_t)b};
    float *yb = y + (size_t)b * n;
    const float *xb = x + (size_t)b * n;
    for (size_t j0 = 0; j0 < n; j0 += DROPOUT_CHUNK) {
      size_t m = n - j0 < DROPOUT_CHUNK ? n - j0 : DROPOUT_CHUNK;
      rng_uniform(u, m, &s, j0);
      for (size_t j = 0; j < m; j++) {
        float v = u[j] >= key->p ? xb[j0 + j] * scale : 0.0f;
        yb[j0 + j] = accumulate ? yb[j0 + j] + v : v;
      }
    }
  }
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
