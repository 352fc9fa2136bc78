// Fréchet distance between two Gaussians N(mu1, S1), N(mu2, S2) fitted to feature
// sets (FID, Heusel et al. 2017; docs/fid.md):
//   FD = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1^1/2 S2 S1^1/2)^1/2)
// computed with ScaLAPACK on a 2-D block-cyclic grid of all ranks of a communicator.
// Legend: d feature dimension. Matrices are dense row-major (d, d), symmetric.
#ifndef VDMC_EVAL_FID_H
#define VDMC_EVAL_FID_H

#include <mpi.h>
#include <stddef.h>

typedef struct {
  double fd;           // the Fréchet distance
  double mean_term;    // |mu1 - mu2|^2
  double trace1;       // Tr(S1)
  double trace2;       // Tr(S2)
  double trace_sqrt;   // Tr((S1^1/2 S2 S1^1/2)^1/2)
  double clamped1;     // most negative eigenvalue of S1 set to 0 (0 when none)
  double clamped2;     // most negative eigenvalue of S1^1/2 S2 S1^1/2 set to 0
  int nprow, npcol;    // the process grid used
} FidDistance;

// Collective over comm: every rank passes the same mu (d) and sigma (d, d) (as read
// from stats files or all-reduced) and gets the same result. d >= 1. ScaLAPACK
// failures (info != 0) are VDMC_ERR_NUMERIC naming the routine and info.
int fid_distance(const double *mu1, const double *sigma1, const double *mu2,
                 const double *sigma2, size_t d, MPI_Comm comm, FidDistance *out);

// The process grid for P ranks: nprow x npcol = P with nprow the largest divisor of
// P not above sqrt(P); and the square block size for a d x d matrix on it.
void fid_grid_shape(int P, int *nprow, int *npcol);
int fid_block_size(size_t d, int nprow, int npcol);

#endif
