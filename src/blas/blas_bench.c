#define _POSIX_C_SOURCE 200809L
#include "blas/blas_bench.h"

#include <cblas.h>
#include <stdlib.h>
#include <time.h>

#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// One n x n x n product C = A B of the buffers (row-major).
typedef void (*SquareProduct)(int n, const float *a, const float *b, float *c);

// Repeats mul (after one warm-up call) for about `seconds`: GFLOP/s and the call count,
// or -1 if out of memory.
static double time_square(SquareProduct mul, int n, double seconds, long *calls) {
  size_t nn = (size_t)n * (size_t)n;
  float *buf = malloc(3 * nn * sizeof *buf);
  *calls = 0;
  if (!buf) return -1;
  for (size_t i = 0; i < 3 * nn; i++) buf[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  float *a = buf, *b = buf + nn, *c = buf + 2 * nn;
  mul(n, a, b, c);
  double t0 = now_seconds(), t;
  do {
    mul(n, a, b, c);
    ++*calls;
    t = now_seconds() - t0;
  } while (t < seconds);
  free(buf);
  return 2.0 * (double)n * n * n * (double)*calls / t * 1e-9;
}

static void sgemm_square(int n, const float *a, const float *b, float *c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
}

static void bf16_square(int n, const float *a, const float *b, float *c) {
  gemm_rowmajor(0, 0, (size_t)n, (size_t)n, (size_t)n, a, b, 0.0f, c);
}

double blas_sgemm_gflops(int n, double seconds, long *calls) {
  // OpenBLAS's own threads, as many as the pool has (the pool keeps OpenBLAS on 1).
  openblas_set_num_threads(par_max_threads());
  double gflops = time_square(sgemm_square, n, seconds, calls);
  openblas_set_num_threads(1);
  return gflops;
}

double blas_bf16_gflops(int n, double seconds, long *calls) {
  *calls = 0;
  if (gemm_bf16_path() == GEMM_BF16_PORTABLE) return 0;
  gemm_bf16_region_begin();
  double gflops = time_square(bf16_square, n, seconds, calls);
  gemm_bf16_region_end();
  return gflops;
}
