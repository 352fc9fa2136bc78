// The trained classifier (models/classifier.h) as a feature-network backend.
// Pixels map to its inputs as in training (core/pixels.h: bin centres (2k+1)/256 - 1).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pixels.h"
#include "core/status.h"
#include "eval/features.h"
#include "io/classifier_file.h"

typedef struct {
  Classifier own;        // loaded from a file
  Classifier *net;       // &own, or a borrowed classifier
  float *own_params;     // (classifier_param_floats) when loaded
  const float *params;
  float *x;              // (max_batch, H, W, C) the images as floats
} ClassifierBackend;

// Shapes from the network, the input buffer; f->impl = cb on success.
static int finish_setup(FeatureNet *f, ClassifierBackend *cb) {
  const ClassifierConfig *c = &cb->net->cfg;
  if (f->max_batch > cb->net->max_batch) f->max_batch = cb->net->max_batch;
  f->F = cb->net->F;
  f->K = c->K;
  f->H = c->H;
  f->W = c->W;
  f->channels = 1u << c->C;
  cb->x = malloc((size_t)f->max_batch * c->H * c->W * c->C * sizeof(float));
  if (!cb->x) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for a batch of %d images", f->path, f->max_batch);
  f->impl = cb;
  return VDMC_OK;
}

static void backend_free(FeatureNet *f) {
  ClassifierBackend *cb = f->impl;
  if (!cb) return;
  if (cb->own_params) {
    vdmc_free_floats(cb->own_params);
    classifier_free(&cb->own);
  }
  free(cb->x);
  free(cb);
  f->impl = NULL;
}

static int backend_load(FeatureNet *f, const char *path) {
  ClassifierBackend *cb = calloc(1, sizeof *cb);
  if (!cb) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  int st = classifier_load(path, &cb->own, f->max_batch, &cb->own_params, &f->crc);
  if (st) {
    free(cb);
    return st;
  }
  cb->net = &cb->own;
  cb->params = cb->own_params;
  f->impl = cb;
  if ((st = finish_setup(f, cb))) backend_free(f);
  return st;
}

static int backend_forward(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C, float *feat,
                           float *logits) {
  ClassifierBackend *cb = f->impl;
  size_t n = (size_t)B * H * W * C;
  for (size_t i = 0; i < n; i++) cb->x[i] = pixel_to_unit(images[i]);
  int st = classifier_forward(cb->net, cb->params, cb->x, B);
  if (st) return st;
  memcpy(feat, cb->net->feat, (size_t)B * f->F * sizeof(float));
  memcpy(logits, cb->net->logits, (size_t)B * f->K * sizeof(float));
  return VDMC_OK;
}

const FeatureBackend FEATURES_CLASSIFIER = {CLASSIFIER_KIND, backend_load, backend_forward, backend_free};

int features_from_classifier(FeatureNet *f, Classifier *net, const float *params, uint32_t crc, const char *name) {
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", name);
  ClassifierBackend *cb = calloc(1, sizeof *cb);
  if (!cb) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", name);
  cb->net = net;
  cb->params = params;
  f->backend = &FEATURES_CLASSIFIER;
  f->max_batch = net->max_batch;
  f->crc = crc;
  int st = finish_setup(f, cb);
  if (st) free(cb);
  return st;
}
