// FID and Inception Score of samples against reference statistics: what
// `vdmc eval --fid` calls (docs/fid.md). The samples come from a dataset-format file
// (features_summarize) or are generated in memory and fed to the FeatureAccum of a
// FidSetup (fid_generate.h); fid_setup_result turns either summary into the result.
#ifndef VDMC_EVAL_FID_EVALUATE_H
#define VDMC_EVAL_FID_EVALUATE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "eval/features.h"
#include "eval/fid.h"
#include "eval/kid.h"
#include "eval/precision_recall.h"

typedef struct {
  double fid;
  double is_mean, is_std;  // Inception Score of the samples over is_splits splits
  int is_splits;
  double accuracy;         // the feature network's argmax vs the samples' labels; -1: none
  int64_t n_samples, n_reference;
  size_t d;                // feature dimension
  FidDistance parts;       // the terms of the distance and the grid used
  int has_kid, has_pr;     // asked for (FidSetup.kid, .pr)
  KidResult kid;           // samples vs the reference features
  PrecisionRecall pr;      // real = the reference features, generated = the samples
} FidResult;

// The reference statistics and the feature network they were computed with.
typedef struct {
  FidStats ref;
  FeatureNet net;
  char ref_path[1024];
  int kid, pr;  // also KID / precision-recall: set by the caller after fid_setup_open
} FidSetup;

// Reads ref_stats_h5 (`vdmc fid-stats`) and loads features_h5 (features_load, batches
// up to FEATURES_BATCH); refuses statistics of another dimension or feature network
// (weights CRC32) with one line naming the file and how to recompute them.
int fid_setup_open(FidSetup *s, const char *ref_stats_h5, const char *features_h5);
void fid_setup_free(FidSetup *s);
// How many leading samples' features a FeatureAccum must keep for s: all N when KID or
// precision/recall is asked for, else 0.
long long fid_setup_keep(const FidSetup *s, long long n);
// Collective over comm: the distance of a summary (feature_accum_finish) to s->ref,
// and KID and precision/recall (k = 3) against the reference features when asked for
// (the reference file must hold them: `vdmc fid-stats --keep-features N`).
int fid_setup_result(const FidSetup *s, const FeatureSummary *sum, MPI_Comm comm, FidResult *out);

#endif
