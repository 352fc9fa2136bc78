// U-ViT configurations: a small benchmark default and validation with one clear message
// per problem (keys named as in the YAML `model:` section, see uvit_from_config.c).
#include "core/status.h"
#include "models/uvit.h"

UViTConfig uvit_config_small(void) {
  return (UViTConfig){.common = {.in_channels = 3, .out_channels = 3, .resolution = 64, .dropout = 0,
                                 .num_classes = 1000, .norm_groups = 32, .lambda_scale = 25.0},
                      .num_stages = 2, .stage_channels = {32, 64}, .stage_res_blocks = {2, 2},
                      .emb_channels = 128, .width = 256, .depth = 4, .heads = 4, .mlp_ratio = 4,
                      .xfmr_dropout = 0.2f};
}

int uvit_config_validate(const UViTConfig *c) {
  int st = model_common_validate(&c->common);
  if (!st) st = model_check_at_least(c->emb_channels, 1, "emb_channels");
  if (!st) st = model_check_at_least(c->width, 1, "transformer_width");
  if (!st) st = model_check_at_least(c->depth, 1, "transformer_depth");
  if (!st) st = model_check_at_least(c->heads, 1, "transformer_heads");
  if (!st) st = model_check_at_least(c->mlp_ratio, 1, "transformer_mlp_ratio");
  if (!st) st = model_check_probability(c->xfmr_dropout, "transformer_dropout");
  if (st) return st;
  if (c->num_stages < 1 || c->num_stages > UVIT_MAX_STAGES)
    return vdmc_fail(VDMC_ERR_INPUT, "model.channel_mult: need 1 to %d conv stages, got %d",
                     UVIT_MAX_STAGES, c->num_stages);
  for (int s = 0; s < c->num_stages; s++) {
    if (c->stage_channels[s] < 1)
      return vdmc_fail(VDMC_ERR_INPUT, "model.channel_mult[%d]: stage channels must be >= 1, got %d",
                       s, c->stage_channels[s]);
    if (c->stage_res_blocks[s] < 1)
      return vdmc_fail(VDMC_ERR_INPUT, "model.num_res_blocks: stage %d needs >= 1, got %d", s,
                       c->stage_res_blocks[s]);
  }
  if (c->stage_channels[0] % 2)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.base_channels: must be even (it is the sinusoid width), got %d",
                     c->stage_channels[0]);
  int down = 1 << c->num_stages;
  if (c->common.resolution % down)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.resolution: %d is not divisible by 2^stages = %d (%d conv stages)",
                     c->common.resolution, down, c->num_stages);
  if (c->width % c->heads)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.transformer_heads: %d heads do not divide model.transformer_width %d",
                     c->heads, c->width);
  return VDMC_OK;
}
