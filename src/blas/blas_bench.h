// Timing of square sgemm (and bf16 GEMM), shared by `vdmc blas`, profiling/bench_step
// and profiling/bench_blas_cores.
#ifndef VDMC_BLAS_BENCH_H
#define VDMC_BLAS_BENCH_H

// Repeats an n x n x n sgemm (after one warm-up call) for about `seconds`;
// returns GFLOP/s and the call count, or a negative value if out of memory. The sgemm
// runs on OpenBLAS's own threads, par_max_threads() of them (ops/parallel.h).
double blas_sgemm_gflops(int n, double seconds, long *calls);

// The same with bf16 operands on vdmc's AVX512-BF16 kernel (ops/gemm_bf16.h): an
// n x n x n gemm_strided in a bf16 region, cut into blocks for the pool's
// par_max_threads() threads as the trainer's products are. The bf16 peak the bf16 MFU
// is measured against. 0 when this CPU has no bf16 kernel, negative if out of memory.
double blas_bf16_gflops(int n, double seconds, long *calls);

#endif
