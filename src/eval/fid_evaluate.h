// FID (and Inception Score) of generated samples against reference statistics:
// what `vdmc eval --fid` calls (docs/fid.md).
#ifndef VDMC_EVAL_FID_EVALUATE_H
#define VDMC_EVAL_FID_EVALUATE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/fid.h"

typedef struct {
  double fid;
  double inception_score;  // of the samples under the feature classifier
  int64_t n_samples, n_reference;
  size_t d;                // feature dimension
  FidDistance parts;       // the terms of the distance and the grid used
} FidResult;

// Collective over comm. samples_h5 is a vdmc dataset file (uint8 NHWC images, e.g.
// written by `vdmc sample`; its labels only enter the reported accuracy), ref_stats_h5 a
// `vdmc fid-stats` file, features_h5 a `vdmc train-classifier` file. The reference
// statistics must come from the same feature network (CRC32 of its weights) and
// dimension; mismatches and missing files are one error line naming the file.
int fid_evaluate(const char *samples_h5, const char *ref_stats_h5, const char *features_h5,
                 MPI_Comm comm, FidResult *out);

#endif
