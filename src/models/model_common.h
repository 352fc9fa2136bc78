// The model fields both architectures share (YAML `model:` keys in_channels,
// resolution, dropout, num_classes, norm_groups, lambda_scale, fourier_features,
// attention_probs) and
// their one-line checks, so the U-Net and the U-ViT map and validate them in one place:
// UViTConfig holds them as its `common` member, UNetConfig keeps them as flat fields
// (unet_config_set_common), and models/model_from_config.h fills them from a config.
#ifndef VDMC_MODELS_MODEL_COMMON_H
#define VDMC_MODELS_MODEL_COMMON_H

#include "ops/attention.h"

typedef struct {
  int in_channels, out_channels;  // image channels in and out (out = in for eps-prediction)
  int resolution;                 // square input H = W
  float dropout;                  // res-block drop probability, [0, 1)
  int num_classes;                // 0: unconditional; K > 0: table of K+1 rows (row K = null)
  int norm_groups;                // res-block GroupNorm groups (32); gcd(groups, C) when C < groups
  double lambda_scale;            // the time embedding sees lambda_scale * lambda (25)
  // VDM App. C Fourier-feature input channels: with fourier_features = 1 the first conv
  // reads [z, sin(2^n pi z), cos(2^n pi z)] for n = fourier_n_min..fourier_n_max
  // (diffusion/fourier_features.h); 0 (the zero-initialised default) = off.
  int fourier_features, fourier_n_min, fourier_n_max;
  // Whether every attention layer keeps its probabilities for backward or recomputes
  // them there (memory for time, same bits; docs/precision.md). ATTN_PROBS_SAVED when
  // zero-initialised.
  AttnProbs attention_probs;
} ModelCommon;

// Checks the shared fields; one vdmc_fail line naming the key and value on error.
int model_common_validate(const ModelCommon *m);

// The checks the architectures' own keys use too (VDMC_ERR_INPUT):
// "model.KEY: must be >= LO, got V" and "model.KEY: must be in [0, 1), got P".
int model_check_at_least(int v, int lo, const char *key);
int model_check_probability(float p, const char *key);

#endif
