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

double blas_sgemm_gflops(int n, double seconds, long *calls) {
  size_t nn = (size_t)n * (size_t)n;
  float *buf = malloc(3 * nn * sizeof *buf);
  if (!buf) return -1;
  for (size_t i = 0; i < 3 * nn; i++) buf[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  float *a = buf, *b = buf + nn, *c = buf + 2 * nn;
  // OpenBLAS's own threads, as many as the pool has (the pool keeps OpenBLAS on 1).
  openblas_set_num_threads(par_max_threads());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
  double t0 = now_seconds(), t;
  *calls = 0;
  do {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    ++*calls;
    t = now_seconds() - t0;
  } while (t < seconds);
  openblas_set_num_threads(1);
  free(buf);
  return 2.0 * (double)n * n * n * (double)*calls / t * 1e-9;
}

double blas_bf16_gflops(int n, double seconds, long *calls) {
  *calls = 0;
  if (gemm_bf16_path() == GEMM_BF16_PORTABLE) return 0;
  size_t nn = (size_t)n * (size_t)n;
  float *buf = malloc(3 * nn * sizeof *buf);
  if (!buf) return -1;
  for (size_t i = 0; i < 3 * nn; i++) buf[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  float *a = buf, *b = buf + nn, *c = buf + 2 * nn;
  gemm_bf16_region_begin();
  gemm_rowmajor(0, 0, (size_t)n, (size_t)n, (size_t)n, a, b, 0.0f, c);
  double t0 = now_seconds(), t;
  do {
    gemm_rowmajor(0, 0, (size_t)n, (size_t)n, (size_t)n, a, b, 0.0f, c);
    ++*calls;
    t = now_seconds() - t0;
  } while (t < seconds);
  gemm_bf16_region_end();
  free(buf);
  return 2.0 * (double)n * n * n * (double)*calls / t * 1e-9;
}
