// Inception-v3 as used by pytorch-fid (the port of TensorFlow's 2015-12-05 graph that
// FID is defined with), forward only, NHWC float32 (docs/fid.md "Inception-v3 features").
//   uint8 (B,H,W,C), C in {1,3}  -> x/255 -> bilinear resize to 299x299 (align_corners
//   False) -> 2x-1 (grayscale repeated to 3 channels) -> stem: 5 BasicConv2d + 2 max
//   pools -> Mixed_5b..5d (FIDInceptionA) -> Mixed_6a (InceptionB) -> Mixed_6b..6e
//   (FIDInceptionC) -> Mixed_7a (InceptionD) -> Mixed_7b (FIDInceptionE_1), Mixed_7c
//   (FIDInceptionE_2) -> global average pool = pool3 (B,2048) -> fc -> logits (B,1008).
// BasicConv2d = conv (no bias) + BatchNorm(eps 0.001) + ReLU; the BatchNorm is folded
// into the conv weight and a bias at load time. Parameters live in one flat buffer,
// activations in one Arena planned for max_batch (no allocation in the forward).
// Legend: B batch, H/W/C input size and channels.
#ifndef VDMC_MODELS_INCEPTION_H
#define VDMC_MODELS_INCEPTION_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define INCEPTION_KIND "inception-v3-fid"
#define INCEPTION_FORMAT_VERSION 1
#define INCEPTION_SIZE 299       // network input H = W
#define INCEPTION_FEATURES 2048  // pool3
#define INCEPTION_CLASSES 1008   // fc outputs
#define INCEPTION_CONVS 94       // BasicConv2d layers
#define INCEPTION_BN_EPS 0.001

// One BasicConv2d, named as in the PyTorch state dict ("Mixed_5b.branch5x5_2").
typedef struct {
  char name[32];
  int h, w;  // input size (fixed: the input is always 299x299)
  int cin, cout, kh, kw, stride, pad_h, pad_w;
  size_t wt, bias;  // offsets in params: folded weight (kh,kw,cin,cout), bias (cout)
} InceptionConv;

// Activation buffers (per image sizes fixed by the architecture): block input/output ping-pong (x0, x1), branch temporaries (t0, t1).
enum { INCEPTION_X0, INCEPTION_X1, INCEPTION_T0, INCEPTION_T1, INCEPTION_NBUF };

typedef struct {
  int max_batch;
  int n_convs;
  InceptionConv conv[INCEPTION_CONVS];
  float *params;        // folded convs, then fc_w (2048,1008) and fc_b (1008)
  size_t n_params, fc_w, fc_b;
  size_t buf_floats[INCEPTION_NBUF];  // per image
  size_t scratch_floats;              // conv scratch for max_batch
  Arena arena;
  float *buf[INCEPTION_NBUF];  // (max_batch, buf_floats[i])
  float *scratch;
  float *feat;                 // (max_batch, 2048)
} Inception;

// images (B,H,W,C) uint8, C in {1,3}, H, W >= 1, 1 <= B <= max_batch. pool3 (B,2048) and
// logits (B,1008) are overwritten; either may be NULL (logits NULL skips the fc).
int inception_forward_u8(Inception *net, const uint8_t *images, int B, int H, int W, int C,
                         float *pool3, float *logits);
void inception_free(Inception *net);

// ---- the tensor list and weights from any source (tests, the loader) ------------------
// Canonical order: for each conv, conv.weight, bn.weight, bn.bias, bn.running_mean,
// bn.running_var; then fc.weight, fc.bias. 5 * 94 + 2 tensors.
#define INCEPTION_TENSORS (5 * INCEPTION_CONVS + 2)
// Name and stored shape of tensor i (shape: up to 4 dims); returns ndim.
int inception_tensor_name(const Inception *net, int i, char *name, size_t size, size_t *shape);
// Fills dst (the stored shape's numel floats) with tensor i; returns status.
typedef int (*InceptionTensorFn)(void *ctx, int i, const char *name, int ndim,
                                 const size_t *shape, float *dst);
// Builds the network for max_batch, takes every tensor from `fetch` in canonical order
// (folding the BatchNorms) and returns their CRC32 as inception_load does.
int inception_init(Inception *net, int max_batch, InceptionTensorFn fetch, void *ctx, uint32_t *crc);
// The deterministic test weights (tests/reference/inception_ref.py computes the same
// bits): element j of tensor i is u = hash(i, j) in [-0.5, 0.5) with 2^-24 steps, scaled
// per kind (conv He-like sqrt(24/fan_in), BN gamma and running_var 1 + u/2, BN beta and
// running_mean u/4, fc sqrt(12/2048) u, fc bias u/4).
int inception_test_tensor(void *ctx, int i, const char *name, int ndim, const size_t *shape,
                          float *dst);
// FLOPs (multiply-adds x 2) of the convolutions and the fc per image.
double inception_flops_per_image(const Inception *net);

#endif
