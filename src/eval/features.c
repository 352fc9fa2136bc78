// The feature network: backend dispatch on the weights file's kind (features.h).
#include "eval/features.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "io/h5_attr.h"

// Every backend, by the vdmc_kind of its weights file.
static const FeatureBackend *const BACKENDS[] = {&FEATURES_CLASSIFIER, &FEATURES_INCEPTION};
#define NBACKENDS (sizeof BACKENDS / sizeof BACKENDS[0])

int features_load(FeatureNet *f, const char *path, int max_batch) {
  memset(f, 0, sizeof *f);
  snprintf(f->path, sizeof f->path, "%s", path);
  f->max_batch = max_batch;
  char kind[128];
  int st = vdmc_file_kind(path, kind, sizeof kind);
  if (st) return st;
  for (size_t i = 0; i < NBACKENDS; i++)
    if (!strcmp(kind, BACKENDS[i]->kind)) {
      f->backend = BACKENDS[i];
      st = f->backend->load(f, path);
      if (st) memset(f, 0, sizeof *f);
      return st;
    }
  char known[512] = "";
  for (size_t i = 0; i < NBACKENDS; i++)
    snprintf(known + strlen(known), sizeof known - strlen(known), "%s'%s'", i ? ", " : "", BACKENDS[i]->kind);
  return vdmc_fail(VDMC_ERR_INPUT, "%s: a vdmc '%s' file is not a feature network (accepted kinds: %s)", path, kind,
                   known);
}

int features_check_input(const FeatureNet *f, int H, int W, int C, const char *source) {
  int ok_size = (!f->H || f->H == H) && (!f->W || f->W == W);
  int ok_channels = C >= 0 && C < 32 && (f->channels >> C & 1u);
  if (ok_size && ok_channels) return VDMC_OK;
  char takes[128] = "", ch[64] = "";
  for (int c = 0; c < 32; c++)
    if (f->channels >> c & 1u) snprintf(ch + strlen(ch), sizeof ch - strlen(ch), "%s%d", ch[0] ? " or " : "", c);
  if (f->H && f->W) snprintf(takes, sizeof takes, "%dx%dx%s", f->H, f->W, ch);
  else snprintf(takes, sizeof takes, "any size with %s channels", ch);
  return vdmc_fail(VDMC_ERR_INPUT, "%s: images are %dx%dx%d but the feature network %s takes %s", source, H, W, C,
                   f->path, takes);
}

int features_forward(FeatureNet *f, const uint8_t *images, int B, int H, int W, int C, float *feat, float *logits) {
  if (B < 0 || B > f->max_batch)
    return vdmc_fail(VDMC_ERR_INTERNAL, "features: batch %d outside [0, %d]", B, f->max_batch);
  int st = features_check_input(f, H, W, C, "features_forward");
  return st ? st : f->backend->forward(f, images, B, H, W, C, feat, logits);
}

void features_free(FeatureNet *f) {
  if (f->backend) f->backend->free(f);
  memset(f, 0, sizeof *f);
}
