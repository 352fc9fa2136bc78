// Forward of the FID Inception-v3 (models/inception.h) in img/s, and model FLOP
// utilization against the sgemm peak measured in the same run:
//   MFU = forward FLOPs per image x img/s / sgemm GFLOP/s, the peak being the better of
//   two 1024^3 sgemm runs (0.5 s before and after; the host may be shared).
// Weights: the deterministic test weights (speed does not depend on the values).
// Input: random uint8 images HxWx3 (default 32x32, CIFAR-like: the 299x299 resize is
// part of the timed forward). Prints the process CPU time per batch too (steadier than
// wall time on a shared host) and a last line "RESULT img_per_s=<x> mfu=<y> cpu_img_per_s=<z>".
//
// usage: OPENBLAS_NUM_THREADS=T bench_inception [batch=8] [iters=3] [size=32]
#define _POSIX_C_SOURCE 199309L  // clock_gettime
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "blas/blas_bench.h"
#include "blas/blas_startup.h"
#include "core/status.h"
#include "models/inception.h"

static double clock_s(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (blas_select_or_reexec(argc, argv) != VDMC_OK) {
    fprintf(stderr, "bench_inception: %s\n", vdmc_error_message());
    return 1;
  }
  int B = argc > 1 ? atoi(argv[1]) : 8, iters = argc > 2 ? atoi(argv[2]) : 3;
  int S = argc > 3 ? atoi(argv[3]) : 32;
  if (B < 1 || iters < 1 || S < 1) {
    fprintf(stderr, "bench_inception: batch, iters and size must be >= 1\n");
    return 1;
  }
  long calls;
  double peak = blas_sgemm_gflops(1024, 0.5, &calls);
  Inception net;
  uint32_t crc;
  if (inception_init(&net, B, inception_test_tensor, NULL, &crc) != VDMC_OK) {
    fprintf(stderr, "bench_inception: %s\n", vdmc_error_message());
    return 1;
  }
  size_t n = (size_t)B * S * S * 3;
  uint8_t *img = malloc(n);
  float *pool3 = malloc((size_t)B * INCEPTION_FEATURES * sizeof(float));
  float *logits = malloc((size_t)B * INCEPTION_CLASSES * sizeof(float));
  if (!img || !pool3 || !logits) {
    fprintf(stderr, "bench_inception: out of memory\n");
    return 1;
  }
  uint32_t s = 1;
  for (size_t i = 0; i < n; i++) s = s * 1664525u + 1013904223u, img[i] = (uint8_t)(s >> 24);
  double t_all = 0, t_cpu = 0;
  for (int it = 0; it <= iters; it++) {  // iteration 0 is a warm-up
    double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (inception_forward_u8(&net, img, B, S, S, 3, pool3, logits) != VDMC_OK) {
      fprintf(stderr, "bench_inception: %s\n", vdmc_error_message());
      return 1;
    }
    if (it == 0) continue;
    t_all += clock_s(CLOCK_MONOTONIC) - t0;
    t_cpu += clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  double peak2 = blas_sgemm_gflops(1024, 0.5, &calls);
  if (peak2 > peak) peak = peak2;
  double ips = (double)B * iters / t_all, flops = inception_flops_per_image(&net);
  double achieved = flops * ips / 1e9;
  printf("bench_inception: %s\n", blas_report_line());
  printf("  forward %.2f GFLOP/image, activations %.1f MB for batch %d, input %dx%dx3 uint8\n", flops / 1e9,
         net.arena.capacity * 4.0 / 1e6, B, S, S);
  printf("  batch %d, %d iters: %.3f s/batch, process CPU %.3f s/batch\n", B, iters, t_all / iters,
         t_cpu / iters);
  printf("  %.2f img/s, %.1f GFLOP/s, sgemm peak %.1f GFLOP/s, MFU %.1f%%\n", ips, achieved, peak,
         100.0 * achieved / peak);
  // With 1 thread on a shared host, waiting for the core inflates wall time but not CPU time.
  double cpu_ips = (double)B * iters / t_cpu;
  printf("  by process CPU time: %.2f img/s (the sgemm peak is wall time: no MFU from this)\n", cpu_ips);
  printf("RESULT img_per_s=%.4f mfu=%.4f cpu_img_per_s=%.4f\n", ips, achieved / peak, cpu_ips);
  free(img), free(pool3), free(logits);
  inception_free(&net);
  return 0;
}
