// The threads of vdmc: one small pthread pool runs every kernel, GEMMs included
// (docs/ops.md "Threads"). OpenBLAS itself is pinned to one thread on first use; each
// GEMM is cut into blocks that the pool's threads multiply with single-threaded sgemm
// calls (ops/gemm.h), the convolutions run im2col + GEMM per block on one thread, and
// the elementwise, normalization and resampling kernels split their loops. So only one
// set of threads ever runs: no hand-over between two pools that spin against each other.
// Idle workers spin for ~50 us and then sleep on a condition variable.
// Work is cut into contiguous ranges that depend only on (n, align, threads), every
// output element is written by exactly one range, and no kernel combines partial sums
// across ranges: results are bit-identical for any thread count.
#ifndef VDMC_OPS_PARALLEL_H
#define VDMC_OPS_PARALLEL_H

#include <stddef.h>

// Below this many floats of work a kernel stays on the calling thread (a hand-off
// costs a few microseconds, ~ one pass over 32K floats).
#define PAR_MIN_WORK ((size_t)1 << 15)
// Most threads the pool runs.
#define PAR_MAX_THREADS 64

// Work on the units [lo, hi) of a split range; ctx is the kernel's argument struct.
typedef void (*ParFn)(void *ctx, size_t lo, size_t hi);
// The same with the part's index (0 .. parts-1), e.g. to pick a scratch slot.
typedef void (*ParPartFn)(void *ctx, int part, size_t lo, size_t hi);

// The pool's thread count: the one fixed by par_set_threads, else the default, i.e. the
// count OpenBLAS had when the pool was first used (OPENBLAS_NUM_THREADS, else
// OMP_NUM_THREADS, else the cores this process may run on).
int par_max_threads(void);
// Threads for `work` floats: 1 below PAR_MIN_WORK, else par_max_threads().
int par_threads(size_t work);
// t > 0 sets the thread count (the trainer's mpi.threads_per_rank, tests); t = 0 goes
// back to the default.
void par_set_threads(int t);
// Calls fn on par_threads(work) contiguous parts of [0, n), in parallel, part i on
// thread i (the caller runs part 0); part boundaries are multiples of `align` units.
// Returns when all parts are done. Must not be called from inside fn.
void par_for(size_t n, size_t align, size_t work, ParFn fn, void *ctx);
// par_for with at most max_parts parts (> 0), fn told its part index.
void par_for_parts(size_t n, size_t align, size_t work, int max_parts, ParPartFn fn, void *ctx);

#endif
