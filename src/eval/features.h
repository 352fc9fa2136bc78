// The FID / Inception Score feature network and the statistics of its outputs
// (docs/fid.md). Images come in as batches of uint8 NHWC from any source (a dataset
// file: features_summarize; generated samples in memory: vdmc eval --fid --n), each
// with its global index, so the results do not depend on the rank count.
//
// The network is a backend behind FeatureBackend, chosen by the weights file's
// vdmc_kind attribute: "classifier" (`vdmc train-classifier`, models/classifier.h) or
// "inception-v3-fid" (jobs/convert_fid_inception.py, models/inception.h).
// A backend maps images (B,H,W,C) uint8 to features (B,F) (FID) and logits (B,K)
// (Inception Score, accuracy). Adding one = one file defining a FeatureBackend plus one
// entry in BACKENDS (features.c).
// Legend: B batch, H/W/C image, F features, K classes, S Inception Score splits.
#ifndef VDMC_EVAL_FEATURES_H
#define VDMC_EVAL_FEATURES_H

#include <mpi.h>
#include <stdint.h>

#include "eval/fid_stats.h"
#include "models/classifier.h"

#define FEATURES_BATCH 128
#define FEATURES_IS_SPLITS 10  // Salimans et al. 2016 / the reference implementation

typedef struct FeatureNet FeatureNet;

typedef struct {
  const char *kind;  // the weights file's vdmc_kind
  // Loads path for batches up to f->max_batch (it may lower it); sets F, K, H, W,
  // channels, crc and impl. On failure frees what it made.
  int (*load)(FeatureNet *f, const char *path);
  // images (B,H,W,C), B <= max_batch, shape accepted (features_check_input);
  // writes feat (B,F) and logits (B,K).
  int (*forward)(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C, float *feat, float *logits);
  void (*free)(FeatureNet *f);
} FeatureBackend;

struct FeatureNet {
  const FeatureBackend *backend;
  int F, K;           // feature dimension, classes
  int H, W;           // the input size it needs; 0: any
  unsigned channels;  // bit C set: C channels accepted
  int max_batch;
  uint32_t crc;       // weights CRC32: the feature network's identity in stats files
  char path[1024];
  void *impl;         // the backend's state
};

extern const FeatureBackend FEATURES_CLASSIFIER;  // vdmc train-classifier files
extern const FeatureBackend FEATURES_INCEPTION;   // jobs/convert_fid_inception.py files

// Dispatches on the vdmc_kind of path; an unknown kind is one error line naming the
// file and the kinds accepted.
int features_load(FeatureNet *f, const char *path, int max_batch);
// The classifier backend over a trained classifier in memory (borrowed, not freed),
// e.g. vdmc train-classifier --test. name stands in for the path in messages.
int features_from_classifier(FeatureNet *f, Classifier *net, const float *params, uint32_t crc, const char *name);
// VDMC_ERR_INPUT "SOURCE: images are HxWxC but the feature network PATH takes ..."
int features_check_input(const FeatureNet *f, int H, int W, int C, const char *source);
int features_forward(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C, float *feat, float *logits);
void features_free(FeatureNet *f);

typedef struct {
  FidStats stats;          // mu, sigma, n, features_crc32 (source: set by the caller)
  double is_mean, is_std;  // Inception Score over S splits: mean and population std (ddof 0)
  int is_splits;           // S
  double accuracy;         // argmax vs labels; -1 when there were no labels
} FeatureSummary;

// Feature statistics of examples with global indices [0, N), fed in any order and
// batch size by the ranks that hold them. Inception Score split s of S takes the
// indices [s N / S, (s+1) N / S) (floor), IS_s = exp(mean_x KL(p(y|x) || p_s(y))).
typedef struct {
  FeatureNet *net;
  long long n;          // N
  int splits;           // S
  int status;           // first failure of add (sticky)
  int ready;            // acc initialised (shift = the first feature row seen)
  FidAccum acc;
  double *pbar;         // (S, K) sum of p(y|x) per split
  double *plogp;        // (S) sum of sum_y p log p per split
  double *count;        // (S) examples per split
  double correct, labelled;
  float *feat, *logits; // (max_batch, F), (max_batch, K)
  double *probs;        // (max_batch, K)
  long long keep_n;     // rows of global index < keep_n are kept (KID, precision/recall)
  float *kept;          // (keep_n, F), zero where another rank holds the row
} FeatureAccum;

// Refuses N < S (one line naming --is-splits) and S < 1.
int feature_accum_init(FeatureAccum *a, FeatureNet *f, long long n, int splits);
// Keeps the features of the examples with global index < n (n <= N) for KID and
// precision/recall; feature_accum_finish hands them over in out->stats.features.
int feature_accum_keep(FeatureAccum *a, long long n);
// images (B,H,W,C) with global indices first .. first+B-1 (any B; run in max_batch
// pieces); labels (B) in [0, K) for the accuracy, or NULL.
int feature_accum_add(FeatureAccum *a, const uint8_t *images, const int32_t *labels, long long first, int B, int H,
                      int W, int C);
// Collective over comm: every rank gets the same summary. Fails (on every rank) if
// any rank's add failed or the indices added do not total N.
int feature_accum_finish(FeatureAccum *a, MPI_Comm comm, FeatureSummary *out);
void feature_accum_free(FeatureAccum *a);

// The Inception Score of split sums (S, K) as above: pbar, plogp, count per split.
void inception_score_splits(const double *pbar, const double *plogp, const double *count, int S, int K,
                            double *mean, double *std);

// Collective over comm: the summary of a dataset file, rank r of P taking examples
// [r N / P, (r+1) N / P). Its labels enter the accuracy when its num_classes is K. The
// features of the first min(keep, N) examples are kept (out->stats.features).
int features_summarize(FeatureNet *f, const char *dataset_path, int is_splits, long long keep, MPI_Comm comm,
                       FeatureSummary *out);

#endif
