// The choice within a family of kernels whose paths are numbered narrowest first
// (gemm_small's, gemm_bf16's): the widest the CPU runs is taken unless a test or
// benchmark forces a narrower one to compare them. One KernelPath per family.
#ifndef VDMC_OPS_KERNEL_PATH_H
#define VDMC_OPS_KERNEL_PATH_H

// forced: a path number, or the family's count of paths for "the detected one".
typedef struct {
  int forced;
} KernelPath;

// The path taken now: the forced one, else best (the widest the CPU runs).
int kernel_path_now(const KernelPath *k, int best, int count);
// Forces `path` (count: back to best); -1, and no change, when path is above best.
// Not thread-safe: call between parallel regions.
int kernel_path_force(KernelPath *k, int path, int best, int count);
// names[path] for a path in [0, count), else "best".
const char *kernel_path_name(const char *const *names, int count, int path);

#endif
