// U-ViT (Hoogeboom et al. 2023, "simple diffusion"; the VDM++ ImageNet 128-512 model):
// convolutional down stages of ADM res blocks, a stack of pre-LN transformer blocks on
// the tokens of the lowest resolution, convolutional up stages with skip connections,
// and the U-Net's output head. It is built into the U-Net's step machine, so after
// uvit_create the U-Net API applies unchanged: stepnet_init_params, stepnet_forward,
// stepnet_backward (accumulating; dx, dlambda optional), stepnet_num_params,
// stepnet_flops_per_image, stepnet_arena_bytes_per_image, stepnet_free. See docs/uvit.md.
#ifndef VDMC_MODELS_UVIT_H
#define VDMC_MODELS_UVIT_H

#include "models/unet.h"

#define UVIT_MAX_STAGES 8

typedef struct {
  ModelCommon common;             // image, dropout, classes, groups, lambda scale, Fourier
                                  // features, as the U-Net's (resolution divisible by
                                  // 2^num_stages; dropout: the res blocks')
  int num_stages;                 // conv stages; stage s runs at resolution / 2^s
  int stage_channels[UVIT_MAX_STAGES];    // channels of stage s (stage 0: also sinusoid width)
  int stage_res_blocks[UVIT_MAX_STAGES];  // res blocks of stage s going down (up: +1)
  int emb_channels;               // lambda/class embedding width E
  int width;                      // transformer width C (tokens at resolution / 2^num_stages)
  int depth;                      // transformer blocks (each: attention half + MLP half)
  int heads;                      // attention heads (must divide width)
  int mlp_ratio;                  // MLP hidden width = mlp_ratio * width
  float xfmr_dropout;             // transformer MLP dropout, [0, 1)
} UViTConfig;

// Small CPU-benchmark U-ViT: 64x64x3, stages of 32 and 64 channels at 64/32 with 2 res
// blocks, a 4-block width-256 transformer on 16x16 tokens, 1000 classes (docs/uvit.md;
// tests/reference/uvit_ref.py: uvit_small).
UViTConfig uvit_config_small(void);
// One vdmc_fail line naming the config key and value on error.
int uvit_config_validate(const UViTConfig *c);

// Validates cfg, builds the step list and parameter table into u, allocates the arena.
int uvit_create(StepNet *u, const UViTConfig *cfg, int max_batch);

#endif
