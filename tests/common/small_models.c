#include "small_models.h"

#include "check.h"
#include "core/status.h"

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

void for_each_small_model(int max_batch, float dropout,
                          void (*check)(const char *model, StepNet *u)) {
  UNetConfig uc = small_unet_config(dropout);
  UViTConfig vc = small_uvit_config(dropout);
  for (int m = 0; m < 2; m++) {
    StepNet u;
    int st = m ? uvit_create(&u, &vc, max_batch) : unet_create(&u, &uc, max_batch);
    const char *name = m ? "uvit" : "unet";
    CHECK(st == VDMC_OK, "%s: %s", name, vdmc_error_message());
    if (st != VDMC_OK) continue;
    check(name, &u);
    stepnet_free(&u);
  }
}
