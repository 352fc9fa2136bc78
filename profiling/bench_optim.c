// Optimizer pass costs on a flat buffer, each as a ratio to a streaming loop
// with the same memory traffic (the floor for a memory-bound pass):
//   adam_step_slice: reads p, m, v, g and writes p, m, v   vs  p += g, m += g, v += g
//   clip_sum_squares: reads g                              vs  float sum of g
//   ema_update: reads ema, p and writes ema                vs  ema += p
//   usage: bench_optim [millions of floats (4)] [repeats (10)]
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/param_table.h"
#include "optim/adam.h"
#include "optim/clip.h"
#include "optim/ema.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

int main(int argc, char **argv) {
  size_t n = (size_t)((argc > 1 ? atof(argv[1]) : 4) * 1e6);
  int reps = argc > 2 ? atoi(argv[2]) : 10;
  if (n == 0 || reps <= 0) {
    fprintf(stderr, "usage: bench_optim [millions of floats > 0] [repeats > 0]\n");
    return 2;
  }
  float *p = vdmc_alloc_floats(n), *m = vdmc_alloc_floats(n), *v = vdmc_alloc_floats(n);
  float *g = vdmc_alloc_floats(n), *e = vdmc_alloc_floats(n);
  if (!p || !m || !v || !g || !e) {
    fprintf(stderr, "bench_optim: out of memory for %zu floats x 5\n", n);
    return 1;
  }
  for (size_t i = 0; i < n; i++) g[i] = (float)(i % 977) * 1e-3f - 0.4f;
  AdamConfig cfg;
  adam_config_default(&cfg);
  double t[6] = {0};
  for (int r = 0; r < reps; r++) {
    double t0 = now_seconds();
    for (size_t i = 0; i < n; i++) {
      p[i] += g[i];
      m[i] += g[i];
      v[i] += g[i];
    }
    double t1 = now_seconds();
    adam_step_slice(p, m, v, g, 0, n, NULL, &cfg, 1e-4, r + 1, 0.5f);
    double t2 = now_seconds();
    float fsum = 0;
    for (size_t i = 0; i < n; i++) fsum += g[i];
    double t3 = now_seconds();
    sink = clip_sum_squares(g, n) + fsum;
    double t4 = now_seconds();
    for (size_t i = 0; i < n; i++) e[i] += p[i];
    double t5 = now_seconds();
    ema_update(e, p, n, 0.999);
    double t6 = now_seconds();
    t[0] += t1 - t0, t[1] += t2 - t1, t[2] += t3 - t2, t[3] += t4 - t3, t[4] += t5 - t4,
        t[5] += t6 - t5;
  }
  double gb = (double)n * sizeof(float) * 1e-9 / 1e-3;  // GB per float-array pass, in ms units
  printf("%zu floats, %d repeats, times per pass (ms):\n", n, reps);
  printf("  adam_step_slice   %7.2f  baseline p,m,v += g  %7.2f  ratio %.2f  (%.1f GB/s)\n",
         1e3 * t[1] / reps, 1e3 * t[0] / reps, t[1] / t[0], 7 * gb / (1e3 * t[1] / reps));
  printf("  clip_sum_squares  %7.2f  baseline float sum   %7.2f  ratio %.2f\n", 1e3 * t[3] / reps,
         1e3 * t[2] / reps, t[3] / t[2]);
  printf("  ema_update        %7.2f  baseline ema += p    %7.2f  ratio %.2f\n", 1e3 * t[5] / reps,
         1e3 * t[4] / reps, t[5] / t[4]);
  float *bufs[] = {p, m, v, g, e};
  for (int i = 0; i < 5; i++) vdmc_free_floats(bufs[i]);
  return 0;
}
