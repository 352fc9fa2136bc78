// U-Net configurations: the built-in defaults and validation with one clear message
// per problem (the key is named as in the YAML `model:` section).
#include "core/status.h"
#include "models/unet.h"

UNetConfig unet_config_fmnist_default(void) {
  return (UNetConfig){.in_channels = 1, .out_channels = 1, .resolution = 28,
                      .base_channels = 32, .num_levels = 3, .channel_mult = {1, 2, 2},
                      .num_res_blocks = 2, .num_attn = 1, .attn_resolutions = {7},
                      .head_channels = 32, .dropout = 0.1f, .num_classes = 10,
                      .resblock_updown = 0, .norm_groups = 32, .lambda_scale = 25.0};
}

// ADM ImageNet-64 layout (mult 1,2,3,4, attention at 32/16/8, resblock up/down, 1000
// classes) with base 32, 2 res blocks and 32-channel heads instead of 192, 3 and 64, so
// a CPU benchmark step takes seconds (6 GFLOP forward per image instead of ~100).
UNetConfig unet_config_imagenet64_small(void) {
  return (UNetConfig){.in_channels = 3, .out_channels = 3, .resolution = 64,
                      .base_channels = 32, .num_levels = 4, .channel_mult = {1, 2, 3, 4},
                      .num_res_blocks = 2, .num_attn = 3, .attn_resolutions = {32, 16, 8},
                      .head_channels = 32, .dropout = 0.1f, .num_classes = 1000,
                      .resblock_updown = 1, .norm_groups = 32, .lambda_scale = 25.0};
}

static int gcd(int a, int b) {
  while (b) {
    int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

int unet_norm_groups(const UNetConfig *c, int C, const char *where, int *G) {
  if (C % c->norm_groups == 0) {
    *G = c->norm_groups;
  } else if (C < c->norm_groups) {
    *G = gcd(C, c->norm_groups);
  } else {
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.norm_groups: %d groups do not divide the %d channels of %s",
                     c->norm_groups, C, where);
  }
  return VDMC_OK;
}

int unet_input_channels(const UNetConfig *c) {
  if (!c->fourier_features) return c->in_channels;
  return c->in_channels * (1 + 2 * (c->fourier_n_max - c->fourier_n_min + 1));
}

void unet_config_set_common(UNetConfig *c, const ModelCommon *m) {
  c->in_channels = m->in_channels;
  c->out_channels = m->out_channels;
  c->resolution = m->resolution;
  c->dropout = m->dropout;
  c->num_classes = m->num_classes;
  c->norm_groups = m->norm_groups;
  c->lambda_scale = m->lambda_scale;
  c->fourier_features = m->fourier_features;
  c->fourier_n_min = m->fourier_n_min;
  c->fourier_n_max = m->fourier_n_max;
  c->attention_probs = m->attention_probs;
}

ModelCommon unet_config_common(const UNetConfig *c) {
  return (ModelCommon){c->in_channels, c->out_channels, c->resolution, c->dropout, c->num_classes, c->norm_groups,
                       c->lambda_scale, c->fourier_features, c->fourier_n_min, c->fourier_n_max,
                       c->attention_probs};
}

int unet_config_validate(const UNetConfig *c) {
  ModelCommon common = unet_config_common(c);
  int st = model_common_validate(&common);
  if (!st) st = model_check_at_least(c->base_channels, 1, "base_channels");
  if (!st) st = model_check_at_least(c->num_res_blocks, 1, "num_res_blocks");
  if (!st) st = model_check_at_least(c->head_channels, 1, "head_channels");
  if (st) return st;
  if (c->base_channels % 2)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.base_channels: must be even (it is the sinusoid width), got %d",
                     c->base_channels);
  if (c->num_levels < 1 || c->num_levels > UNET_MAX_LEVELS)
    return vdmc_fail(VDMC_ERR_INPUT, "model.channel_mult: need 1 to %d levels, got %d",
                     UNET_MAX_LEVELS, c->num_levels);
  for (int l = 0; l < c->num_levels; l++)
    if (c->channel_mult[l] < 1)
      return vdmc_fail(VDMC_ERR_INPUT, "model.channel_mult[%d]: must be >= 1, got %d", l,
                       c->channel_mult[l]);
  int down = 1 << (c->num_levels - 1);
  if (c->resolution % down)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.resolution: %d is not divisible by 2^(levels-1) = %d (%d levels)",
                     c->resolution, down, c->num_levels);
  if (c->num_attn < 0 || c->num_attn > UNET_MAX_ATTN)
    return vdmc_fail(VDMC_ERR_INPUT, "model.attn_resolutions: at most %d entries, got %d",
                     UNET_MAX_ATTN, c->num_attn);
  for (int i = 0; i < c->num_attn; i++) {
    int r = c->attn_resolutions[i], ok = 0;
    for (int l = 0; l < c->num_levels; l++) ok |= (c->resolution >> l) == r;
    if (!ok)
      return vdmc_fail(VDMC_ERR_INPUT,
                       "model.attn_resolutions: %d is not the size of any level (%d / 2^l, l < %d)",
                       r, c->resolution, c->num_levels);
  }
  if (c->resblock_updown != 0 && c->resblock_updown != 1)
    return vdmc_fail(VDMC_ERR_INPUT, "model.resblock_updown: must be 0 or 1, got %d",
                     c->resblock_updown);
  return VDMC_OK;
}
