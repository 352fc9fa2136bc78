// VDMC_BENCH_GEMM_SMALL=avx512|avx2|blas makes a benchmark run gemm_small (the
// Winograd convolution's products) on that path instead of the widest one, so
// the paths can be compared in one session; unset, the benchmark runs what vdmc
// runs.
#ifndef VDMC_PROFILING_BENCH_GEMM_SMALL_H
#define VDMC_PROFILING_BENCH_GEMM_SMALL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/gemm_small.h"

// 0, or -1 after one error line naming the bad value or the missing
// instructions.
static inline int bench_gemm_small_from_env(const char *prog) {
  const char *v = getenv("VDMC_BENCH_GEMM_SMALL");
  if (!v || !v[0]) return 0;
  static const struct {
    const char *name;
    GemmSmallPath path;
  } paths[] = {{"avx512", GEMM_SMALL_AVX512}, {"avx2", GEMM_SMALL_AVX2}, {"blas", GEMM_SMALL_BLAS}};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
    if (!strcmp(v, paths[i].name)) {
      if (gemm_small_force(paths[i].path) == 0) return 0;
      fprintf(stderr, "%s: VDMC_BENCH_GEMM_SMALL=%s: this CPU lacks the instructions\n", prog, v);
      return -1;
    }
  fprintf(stderr, "%s: VDMC_BENCH_GEMM_SMALL must be avx512, avx2 or blas, got '%s'\n", prog, v);
  return -1;
}

#endif
