// GroupNorm and LayerNorm forward+backward time of ops/norm.c against baselines
// measured in the same run. GroupNorm baseline: the direct NHWC port that loops per
// (b, g) over HW x Cg with strided rows and separate passes (mean, variance,
// normalize; backward: two reductions, then dinp), in double like ours. LayerNorm
// baseline: the same per-row loops with one serial double accumulator per sum.
// Prints ms per call and the ratio.
// Usage: bench_norm [B HW C G]  (default: the shapes of a few U-Net blocks)
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops/norm.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void base_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                         const float *bias, int B, int HW, int C, int G) {
  int Cg = C / G;
  double n = (double)HW * Cg;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < G; g++) {
      const float *xb = x + (size_t)b * HW * C + (size_t)g * Cg;
      double m = 0, v = 0;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) m += xb[(size_t)p * C + j];
      m /= n;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) {
          double t = xb[(size_t)p * C + j] - m;
          v += t * t;
        }
      float r = (float)(1.0 / sqrt(v / n + NORM_EPS));
      mean[b * G + g] = (float)m, rstd[b * G + g] = r;
      float *ob = out + (size_t)b * HW * C + (size_t)g * Cg;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) {
          int c = g * Cg + j;
          ob[(size_t)p * C + j] = (xb[(size_t)p * C + j] - (float)m) * r * w[c] + bias[c];
        }
    }
}

static void base_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                          const float *w, const float *mean, const float *rstd, int B, int HW,
                          int C, int G) {
  int Cg = C / G;
  double n = (double)HW * Cg;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < G; g++) {
      size_t o = (size_t)b * HW * C + (size_t)g * Cg;
      float m = mean[b * G + g], r = rstd[b * G + g];
      double s1 = 0, s2 = 0;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) {
          size_t i = o + (size_t)p * C + j;
          int c = g * Cg + j;
          float xh = (x[i] - m) * r;
          db[c] += dy[i];
          dw[c] += dy[i] * xh;
          s1 += dy[i] * w[c];
          s2 += dy[i] * w[c] * xh;
        }
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) {
          size_t i = o + (size_t)p * C + j;
          int c = g * Cg + j;
          float xh = (x[i] - m) * r;
          dx[i] += r * (dy[i] * w[c] - (float)(s1 / n) - xh * (float)(s2 / n));
        }
    }
}

static void fill(float *a, size_t n, unsigned s) {
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    a[i] = (float)(s >> 8) / 16777216.0f * 2 - 1;
  }
}

typedef void (*fwd_fn)(float *, float *, float *, const float *, const float *, const float *,
                       int, int, int, int);
typedef void (*bwd_fn)(float *, float *, float *, const float *, const float *, const float *,
                       const float *, const float *, int, int, int, int);

// LayerNorm through the GroupNorm-shaped signature (HW = 1, G = 1).
static void ln_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                       const float *bias, int B, int HW, int C, int G) {
  layernorm_forward(out, mean, rstd, x, w, bias, B, C);
}
static void ln_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, const float *mean, const float *rstd, int B, int HW,
                        int C, int G) {
  layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, B, C);
}

static void bench(const char *what, int B, int HW, int C, int G, const fwd_fn *fwd,
                  const bwd_fn *bwd) {
  size_t n = (size_t)B * HW * C;
  float *x = malloc(n * 4), *y = malloc(n * 4), *dy = malloc(n * 4), *dx = calloc(n, 4);
  float *w = malloc(C * 4), *bi = malloc(C * 4), *dw = calloc(C, 4), *db = calloc(C, 4);
  float *m = malloc((size_t)B * G * 4), *r = malloc((size_t)B * G * 4);
  fill(x, n, 1), fill(dy, n, 2), fill(w, C, 3), fill(bi, C, 4);
  int reps = (int)(5e7 / n) + 1;
  if (reps > 200) reps = 200;
  double t[2] = {0, 0};
  for (int k = 0; k < 2; k++) {  // k = 0: baseline, 1: ops/norm.c; best of 3 rounds
    double best = 1e30;
    for (int round = 0; round < 3; round++) {
      double t0 = now();
      for (int i = 0; i < reps; i++) {
        fwd[k](y, m, r, x, w, bi, B, HW, C, G);
        bwd[k](dx, dw, db, dy, x, w, m, r, B, HW, C, G);
      }
      double dt = (now() - t0) / reps;
      if (dt < best) best = dt;
    }
    t[k] = best;
  }
  printf("%s B=%-4d HW=%-5d C=%-4d G=%-3d  baseline %8.3f ms  vdmc %8.3f ms  speedup x%.2f\n",
         what, B, HW, C, G, 1e3 * t[0], 1e3 * t[1], t[0] / t[1]);
  free(x), free(y), free(dy), free(dx), free(w), free(bi), free(dw), free(db), free(m), free(r);
}

int main(int argc, char **argv) {
  const fwd_fn gf[2] = {base_forward, groupnorm_forward}, lf[2] = {base_forward, ln_forward};
  const bwd_fn gb[2] = {base_backward, groupnorm_backward}, lb[2] = {base_backward, ln_backward};
  printf("forward+backward, one thread, best of 3; baselines: plain per-(b,g) / per-row loops\n");
  if (argc == 5) {
    bench("groupnorm", atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), gf, gb);
    return 0;
  }
  bench("groupnorm", 32, 28 * 28, 64, 32, gf, gb);  // Fashion-MNIST default U-Net, top level
  bench("groupnorm", 32, 14 * 14, 128, 32, gf, gb);
  bench("groupnorm", 8, 64 * 64, 192, 32, gf, gb);  // ImageNet64 ADM top level
  bench("groupnorm", 8, 16 * 16, 768, 32, gf, gb);
  bench("layernorm", 4096, 1, 768, 1, lf, lb);      // U-ViT tokens x width
  return 0;
}
