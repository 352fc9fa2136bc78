#include "small_models.h"

#include "check.h"
#include "core/status.h"

#include <string.h>

#include "ops/bf16.h"

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

const char *small_model_name(SmallModel m) { return m == SMALL_UVIT ? "uvit" : "unet"; }

int small_model_create(StepNet *u, SmallModel m, float dropout, AttnProbs where, int max_batch) {
  if (m == SMALL_UVIT) {
    UViTConfig vc = small_uvit_config(dropout);
    vc.common.attention_probs = where;
    return uvit_create(u, &vc, max_batch);
  }
  UNetConfig uc = small_unet_config(dropout);
  uc.attention_probs = where;
  return unet_create(u, &uc, max_batch);
}

void saved_operand_floats(const SavedOperand *o, float *dst, size_t n) {
  if (o->bf16)
    widen_bf16(dst, o->bf16, n);
  else
    memcpy(dst, o->f32, n * sizeof(float));
}

void for_each_small_model(int max_batch, float dropout,
                          void (*check)(const char *model, StepNet *u)) {
  for (int m = 0; m < SMALL_MODEL_COUNT; m++) {
    StepNet u;
    const char *name = small_model_name((SmallModel)m);
    int st = small_model_create(&u, (SmallModel)m, dropout, ATTN_PROBS_SAVED, max_batch);
    CHECK(st == VDMC_OK, "%s: %s", name, vdmc_error_message());
    if (st != VDMC_OK) continue;
    check(name, &u);
    stepnet_free(&u);
  }
}
