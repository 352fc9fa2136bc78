#include "small_models.h"

UNetConfig small_unet_config(float dropout) {
  return (UNetConfig){.in_channels = 3, .out_channels = 3, .resolution = 16, .base_channels = 16,
                      .num_levels = 2, .channel_mult = {1, 2}, .num_res_blocks = 1, .num_attn = 1,
                      .attn_resolutions = {8}, .head_channels = 16, .dropout = dropout,
                      .num_classes = 3, .resblock_updown = 1, .norm_groups = 4,
                      .lambda_scale = 25.0};
}

UViTConfig small_uvit_config(float dropout) {
  return (UViTConfig){.common = {.in_channels = 3, .out_channels = 3, .resolution = 16,
                                 .dropout = dropout, .num_classes = 3, .norm_groups = 4,
                                 .lambda_scale = 25.0},
                      .num_stages = 2, .stage_channels = {16, 16}, .stage_res_blocks = {1, 1},
                      .emb_channels = 32, .width = 32, .depth = 2, .heads = 2, .mlp_ratio = 2,
                      .xfmr_dropout = dropout};
}
