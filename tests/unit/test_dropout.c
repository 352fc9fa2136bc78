// Dropout: the mask contract of dropout.h (rank independence, keep rate, identity at
// p = 0), a backward that regenerates the same mask, and finite differences.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"
#include "gradcheck.h"
#include "ops/dropout.h"

enum { B = 8, N = 1001 };  // N is odd and not a multiple of the 512-element draw chunk or of 8

static const DropoutKey KEY = {.seed = 42, .step = 1234, .first_example = 96, .site = 7, .p = 0.3f};

// Keep threshold and scale of dropout.h: T = round(p 2^16), scale = 2^16 / (2^16 - T).
static uint32_t threshold(float p) { return (uint32_t)floor(p * 65536.0 + 0.5); }
static float keep_scale(float p) { return (float)(65536.0 / (65536.0 - threshold(p))); }

// The mask is exactly the documented stream: with w = rng_bits(seed, RNG_DROPOUT, site,
// step, first_example + b), element j is kept iff its 16 bits (low half of w[j/2] for
// even j, high half for odd j) are >= T; kept values scaled by 2^16 / (2^16 - T).
static void test_mask_contract(const float *x) {
  float *y = malloc(B * N * sizeof(float));
  uint32_t w[(N + 1) / 2];
  dropout_forward(y, x, B, N, &KEY);
  int bad = 0;
  size_t kept = 0;
  CHECK(threshold(0.3f) == 19661, "T(0.3) = 19661");
  for (int b = 0; b < B; b++) {
    RngStream s = {KEY.seed, RNG_DROPOUT, KEY.site, KEY.step, KEY.first_example + (uint64_t)b};
    rng_bits(w, (N + 1) / 2, &s, 0);
    for (int j = 0; j < N; j++) {
      uint32_t h = j % 2 ? w[j / 2] >> 16 : w[j / 2] & 0xFFFFu;
      int keep = h >= threshold(KEY.p);
      float xv = x[b * N + j], expect = keep ? xv * keep_scale(KEY.p) : 0.0f;
      bad += y[b * N + j] != expect;
      kept += keep;
    }
  }
  CHECK(bad == 0, "forward equals the stream-defined mask (%d mismatches)", bad);
  // keep rate: binomial(B*N, 1-p), within 5 standard deviations
  double n = B * N, rate = kept / n, q = 1 - KEY.p;
  CHECK(fabs(rate - q) < 5 * sqrt(q * (1 - q) / n), "keep rate %.4f vs %.4f", rate, q);
  free(y);
}

// Rank independence: the batch split in two halves, each with its own first_example,
// produces bit-identical output (forward) and gradient (backward).
static void test_split_batch(const float *x, const float *g) {
  float *full = malloc(B * N * sizeof(float)), *half = malloc(B * N * sizeof(float));
  DropoutKey k1 = KEY, k2 = KEY;
  k2.first_example = KEY.first_example + B / 2;
  dropout_forward(full, x, B, N, &KEY);
  dropout_forward(half, x, B / 2, N, &k1);
  dropout_forward(half + B / 2 * N, x + B / 2 * N, B / 2, N, &k2);
  CHECK(memcmp(full, half, B * N * sizeof(float)) == 0, "forward identical when split in halves");
  memset(full, 0, B * N * sizeof(float));
  memset(half, 0, B * N * sizeof(float));
  dropout_backward(full, g, B, N, &KEY);
  dropout_backward(half, g, B / 2, N, &k1);
  dropout_backward(half + B / 2 * N, g + B / 2 * N, B / 2, N, &k2);
  CHECK(memcmp(full, half, B * N * sizeof(float)) == 0, "backward identical when split in halves");
  free(full), free(half);
}

// Backward regenerates the forward mask and accumulates onto dinp (or overwrites the
// gradient in place); out may alias inp.
static void test_backward_mask(const float *x, const float *g) {
  float *y = malloc(B * N * sizeof(float)), *dx = malloc(B * N * sizeof(float));
  float *alias = malloc(B * N * sizeof(float));
  dropout_forward(y, x, B, N, &KEY);
  for (int i = 0; i < B * N; i++) dx[i] = 0.25f;
  dropout_backward(dx, g, B, N, &KEY);
  int bad = 0;
  float scale = keep_scale(KEY.p);
  for (int i = 0; i < B * N; i++) {  // x has no zeros, so y != 0 marks a kept element
    float expect = y[i] != 0 ? 0.25f + g[i] * scale : 0.25f;
    bad += dx[i] != expect;
  }
  CHECK(bad == 0, "backward uses the forward mask and accumulates (%d mismatches)", bad);
  memcpy(alias, x, B * N * sizeof(float));
  dropout_forward(alias, alias, B, N, &KEY);
  CHECK(memcmp(alias, y, B * N * sizeof(float)) == 0, "in-place forward (out == inp)");
  dropout_backward(NULL, g, B, N, &KEY);  // NULL = skip
  // in place: the upstream gradient becomes the masked, scaled one
  memcpy(alias, g, B * N * sizeof(float));
  dropout_backward_inplace(alias, B, N, &KEY);
  bad = 0;
  for (int i = 0; i < B * N; i++) bad += alias[i] != (y[i] != 0 ? g[i] * scale : 0.0f);
  CHECK(bad == 0, "in-place backward = forward mask times the gradient (%d mismatches)", bad);

  // another site or step gives a different mask: agreement ~ p^2 + (1-p)^2 = 0.58
  DropoutKey other = KEY;
  other.site = KEY.site + 1;
  dropout_forward(alias, x, B, N, &other);
  size_t same = 0;
  for (int i = 0; i < B * N; i++) same += (alias[i] != 0) == (y[i] != 0);
  double agree = same / (double)(B * N), pa = 0.3 * 0.3 + 0.7 * 0.7;
  CHECK(fabs(agree - pa) < 5 * sqrt(pa * (1 - pa) / (B * N)), "site masks independent: %.4f",
        agree);
  free(y), free(dx), free(alias);
}

// p = 0 is an exact identity in both directions.
static void test_p_zero(const float *x, const float *g) {
  DropoutKey k = KEY;
  k.p = 0.0f;
  float *y = malloc(B * N * sizeof(float)), *dx = calloc(B * N, sizeof(float));
  dropout_forward(y, x, B, N, &k);
  CHECK(memcmp(y, x, B * N * sizeof(float)) == 0, "p = 0 forward is the identity");
  dropout_backward(dx, g, B, N, &k);
  CHECK(memcmp(dx, g, B * N * sizeof(float)) == 0, "p = 0 backward passes dout through");
  free(y), free(dx);
}

typedef struct {
  float *x, *y, *probe;
  int b;
  size_t n;
} DropCtx;

static double drop_loss(void *p) {
  DropCtx *c = p;
  dropout_forward(c->y, c->x, c->b, c->n, &KEY);
  return gradcheck_dot(c->y, c->probe, (size_t)c->b * c->n);
}

static void test_gradcheck(void) {
  enum { GB = 3, GN = 37 };
  float x[GB * GN], y[GB * GN], probe[GB * GN], dx[GB * GN] = {0};
  fill_uniform(x, GB * GN, 31, -2, 2);
  fill_uniform(probe, GB * GN, 32, -1, 1);
  DropCtx c = {x, y, probe, GB, GN};
  dropout_backward(dx, probe, GB, GN, &KEY);
  GradcheckTarget t = {"dropout.dinp", x, dx, GB * GN};
  double w = gradcheck_run(drop_loss, &c, &t, 1, 1e-2, 1e-3, 1e-5, GB * GN);
  printf("dropout gradcheck: worst rel err %.3g\n", w);
}

int main(void) {
  float *x = malloc(B * N * sizeof(float)), *g = malloc(B * N * sizeof(float));
  fill_uniform(x, B * N, 1, 0.5f, 2.0f);  // no zeros: y != 0 identifies kept elements
  fill_uniform(g, B * N, 2, -1, 1);
  test_mask_contract(x);
  test_split_batch(x, g);
  test_backward_mask(x, g);
  test_p_zero(x, g);
  test_gradcheck();
  free(x), free(g);
  return check_finish("dropout");
}
