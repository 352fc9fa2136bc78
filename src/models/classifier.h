// Small CNN classifier used as the FID / Inception Score feature network for small
// datasets (docs/fid.md). NHWC float32, built from the U-Net's units:
//   in     conv3x3 C -> w                                   (H, W)
//   down1  GN -> SiLU -> avgpool2 -> conv3x3 w -> 2w        (H/2, W/2)
//   down2  GN -> SiLU -> avgpool2 -> conv3x3 2w -> 4w       (H/4, W/4)
//   head   GN -> SiLU -> mean over positions = features F = 4w; linear F -> K logits
// The features (penultimate layer) feed FID, the softmax of the logits the
// Inception Score. Parameters live in one flat buffer (ParamTable), activations in one
// Arena planned for max_batch. Legend: B batch, H/W/C input, w width, F features, K classes.
#ifndef VDMC_MODELS_CLASSIFIER_H
#define VDMC_MODELS_CLASSIFIER_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "models/unet_blocks.h"

#define CLASSIFIER_MAX_CLASSES 1024
#define CLASSIFIER_KIND "classifier"
#define CLASSIFIER_FORMAT_VERSION 1

typedef struct {
  int H, W, C;     // input; H and W divisible by 4
  int K;           // classes >= 2
  int width;       // w: channels of the first conv (GroupNorm groups: gcd(8, channels))
} ClassifierConfig;

typedef struct {
  ClassifierConfig cfg;
  int max_batch;
  int F;                   // feature width 4w
  UNetParams params;       // params.table: the flat buffer's named tensors
  ConvUnit in;
  NormActConv down1, down2;
  GnUnit head_gn;
  size_t fc_w, fc_b;       // (F, K), (K)
  Arena arena;
  UNetScratch scratch;
  float *h0;               // (B,H,W,w)
  float *h1;               // (B,H/2,W/2,2w)
  float *h2;               // (B,H/4,W/4,4w)
  float *act;              // (B,H/4,W/4,4w) SiLU(head GN)
  float *feat;             // (B,F)
  float *logits;           // (B,K)
  float *dh0, *dh1, *dh2;  // gradients of h0..h2
  float *dfeat;            // (B,F)
  float *dlogits;          // (B,K) loss gradient, for the caller (classifier_train_step)
  int B;                   // batch of the last forward
  const float *x;          // input of the last forward (kept for backward)
} Classifier;

// Checks the config (one line naming the bad value) and plans the arena.
int classifier_create(Classifier *m, const ClassifierConfig *cfg, int max_batch);
void classifier_free(Classifier *m);
size_t classifier_param_floats(const Classifier *m);  // flat buffer length
// PyTorch-default U(+-1/sqrt(fan_in)) for conv/linear, GroupNorm (1, 0); from seed.
void classifier_init_params(const Classifier *m, float *params, uint64_t seed);

// x (B,H,W,C) in [-1, 1]; fills m->feat (B,F) and m->logits (B,K). x must stay valid
// until backward.
int classifier_forward(Classifier *m, const float *params, const float *x, int B);
// Accumulates dL/dparams into grads from dlogits (B,K); dx (B,H,W,C) too unless NULL.
void classifier_backward(Classifier *m, const float *params, float *grads, const float *dlogits,
                         float *dx);

// Softmax cross-entropy of logits (B,K) against labels: returns scale * sum of the
// per-example losses (in double); dlogits (B,K), unless NULL, is overwritten with its
// gradient (softmax - onehot) * scale; *correct (unless NULL) counts argmax hits.
double classifier_xent(const float *logits, const int32_t *labels, int B, int K, double scale,
                       float *dlogits, int *correct);
// Softmax probabilities (B,K) in double.
void classifier_softmax(const float *logits, int B, int K, double *probs);

// CRC32 of the flat parameters: the feature-network identity in FID statistics files.
uint32_t classifier_params_crc32(const Classifier *m, const float *params);

#endif
