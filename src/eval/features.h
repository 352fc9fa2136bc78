// Running the feature classifier over a dataset file: FID statistics of its
// penultimate-layer features and the Inception Score of its softmax (docs/fid.md).
// Rank r of P takes the contiguous examples [r N / P, (r+1) N / P); images map to
// model inputs as in training (core/pixels.h: bin centres (2k+1)/256 - 1).
#ifndef VDMC_EVAL_FEATURES_H
#define VDMC_EVAL_FEATURES_H

#include <mpi.h>
#include <stdint.h>

#include "eval/fid_stats.h"
#include "models/classifier.h"

#define FEATURES_BATCH 128

typedef struct {
  Classifier net;
  float *params;
  uint32_t crc;           // params CRC32: the feature network's identity in stats files
  char path[1024];
} FeatureNet;

int features_load(FeatureNet *f, const char *path);
void features_free(FeatureNet *f);

typedef struct {
  FidStats stats;         // mu, sigma, n, features_crc32, source = the dataset path
  double inception_score; // exp(E_x KL(p(y|x) || p(y))), one split over all examples
  double accuracy;        // argmax vs the dataset labels
} FeatureSummary;

// Collective over comm. The dataset's image shape must match the network's input
// (an error names both). Every rank gets the same summary.
int features_summarize(FeatureNet *f, const char *dataset_path, MPI_Comm comm, FeatureSummary *out);

#endif
