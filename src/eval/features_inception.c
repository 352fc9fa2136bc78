// The FID Inception-v3 (models/inception.h, pytorch-fid's network) as a feature-network
// backend: pool3 (2048) features and the 1008 logits of the Inception Score, for images
// of any size with 1 or 3 channels (the network resizes them to 299x299 itself).
#include <stdlib.h>

#include "core/status.h"
#include "eval/features.h"
#include "io/inception_file.h"
#include "models/inception.h"

static int inception_backend_load(FeatureNet *f, const char *path) {
  Inception *net = calloc(1, sizeof *net);
  if (!net) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  int st = inception_load(path, f->max_batch, net, &f->crc);
  if (st) {
    free(net);
    return st;
  }
  f->F = INCEPTION_FEATURES;
  f->K = INCEPTION_CLASSES;
  f->H = f->W = 0;  // any size
  f->channels = 1u << 1 | 1u << 3;
  f->impl = net;
  return VDMC_OK;
}

static int inception_backend_forward(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C,
                                     float *feat, float *logits) {
  return inception_forward_u8(f->impl, images, B, H, W, C, feat, logits);
}

static void inception_backend_free(FeatureNet *f) {
  if (f->impl) inception_free(f->impl);
  free(f->impl);
  f->impl = NULL;
}

const FeatureBackend FEATURES_INCEPTION = {INCEPTION_KIND, inception_backend_load, inception_backend_forward,
                                           inception_backend_free};
