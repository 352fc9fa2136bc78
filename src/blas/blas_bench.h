// Timing of square sgemm, shared by `vdmc blas` and profiling/bench_blas_cores.
#ifndef VDMC_BLAS_BENCH_H
#define VDMC_BLAS_BENCH_H

// Repeats an n x n x n sgemm (after one warm-up call) for about `seconds`;
// returns GFLOP/s and the call count, or a negative value if out of memory. The sgemm
// runs on OpenBLAS's own threads, par_max_threads() of them (ops/parallel.h).
double blas_sgemm_gflops(int n, double seconds, long *calls);

#endif
