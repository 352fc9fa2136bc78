// Threads for the non-GEMM kernels (docs/ops.md "Threads"): a small pthread pool.
// The elementwise, normalization, resampling and im2col/col2im kernels run on as many
// threads as OpenBLAS uses (openblas_get_num_threads()), always between BLAS calls, so
// the two pools take turns on the same cores. Idle workers spin for ~50 us and then
// sleep on a condition variable: a longer spin (OpenMP's default) would hold a core
// while the next GEMM needs it (measured: 5x slower steps with libgomp at 2 threads).
// Work is cut into contiguous ranges that depend only on (n, align, threads), every
// output element is written by exactly one range, and no kernel combines partial sums
// across ranges: results are bit-identical for any thread count.
#ifndef VDMC_OPS_PARALLEL_H
#define VDMC_OPS_PARALLEL_H

#include <stddef.h>

// Below this many floats of work a kernel stays on the calling thread (a hand-off
// costs a few microseconds, ~ one pass over 32K floats).
#define PAR_MIN_WORK ((size_t)1 << 15)

// Work on the units [lo, hi) of a split range; ctx is the kernel's argument struct.
typedef void (*ParFn)(void *ctx, size_t lo, size_t hi);

// Threads for `work` floats: 1 below PAR_MIN_WORK, else the OpenBLAS thread count (or
// the count fixed by par_set_threads).
int par_threads(size_t work);
// t > 0 fixes the kernels' thread count independently of OpenBLAS (tests use it: OpenBLAS
// sgemm itself is not bit-identical across its thread counts); t = 0 (default) follows
// OpenBLAS again.
void par_set_threads(int t);
// Calls fn on par_threads(work) contiguous parts of [0, n), in parallel, part i on
// thread i (the caller runs part 0); part boundaries are multiples of `align` units.
// Returns when all parts are done. Must not be called from inside fn.
void par_for(size_t n, size_t align, size_t work, ParFn fn, void *ctx);

#endif
