// Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs"): the
// unbiased squared MMD between two feature sets with the cubic polynomial kernel
//   k(x, y) = (x . y / d + 1)^3,
// averaged over random subsets of equal size m drawn without replacement from each
// set (as clean-fid and torch-fidelity report it: mean and population std over the
// subsets). Per subset:
//   MMD^2_u = sum_{i != j} k(x_i, x_j) / (m(m-1)) + sum_{i != j} k(y_i, y_j) / (m(m-1))
//             - 2 sum_{i,j} k(x_i, y_j) / m^2
// which is unbiased: its mean over random subsets is the same statistic over the
// whole sets. Legend: d feature dimension, m subset size.
#ifndef VDMC_EVAL_KID_H
#define VDMC_EVAL_KID_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  double mean, std;  // over the subsets
  int subsets;
  size_t subset_size;
} KidResult;

// Collective over comm: every rank passes the same x (nx, d) and y (ny, d) and gets
// the same result; subsets are split over the ranks. subset_size m must satisfy
// 2 <= m <= min(nx, ny). Subset s draws its indices from the Philox stream (seed,
// RNG_EVAL_SUBSET, set, s), so the result does not depend on the rank count.
int kid_compute(const float *x, size_t nx, const float *y, size_t ny, size_t d, int subsets, size_t subset_size,
                uint64_t seed, MPI_Comm comm, KidResult *out);
// The subset size used by default: min(1000, nx, ny).
size_t kid_default_subset(size_t nx, size_t ny);

#endif
