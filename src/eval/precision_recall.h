// Improved precision and recall (Kynkäänniemi et al. 2019, "Improved Precision and
// Recall Metric for Assessing Generative Models") in a feature space. Each set's
// manifold is the union of balls around its points, the radius of point i being the
// distance to its k-th nearest neighbour within the set (k = 3 by default; the point
// itself is the 0th). Then
//   precision = fraction of generated points inside the real manifold,
//   recall    = fraction of real points inside the generated manifold,
// "inside" meaning within the radius of at least one point (distance <= radius).
// Legend: d feature dimension.
#ifndef VDMC_EVAL_PRECISION_RECALL_H
#define VDMC_EVAL_PRECISION_RECALL_H

#include <mpi.h>
#include <stddef.h>

typedef struct {
  double precision, recall;
  int k;
} PrecisionRecall;

// Collective over comm: every rank passes the same real (nr, d) and fake (nf, d)
// and gets the same result; the rows of each pairwise-distance pass are split over
// the ranks. Needs k >= 1 and k < nr, k < nf.
int precision_recall(const float *real, size_t nr, const float *fake, size_t nf, size_t d, int k, MPI_Comm comm,
                     PrecisionRecall *out);

#endif
