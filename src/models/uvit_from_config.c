#include "models/uvit_from_config.h"

#include <string.h>

#include "core/status.h"
#include "models/model_from_config.h"

int uvit_config_from_config(UViTConfig *u, const ConfigSet *cs) {
  const Config *c = &cs->values;
  memset(u, 0, sizeof *u);
  int st = model_common_from_config(&u->common, cs, "uvit", "a U-ViT");
  if (st) return st;
  u->num_stages = c->model.channel_mult.n;
  if (u->num_stages > UVIT_MAX_STAGES)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.channel_mult has %d conv stages, at most %d",
                     config_where(cs, "model.channel_mult"), u->num_stages, UVIT_MAX_STAGES);
  const ConfigIntList *blocks = &c->model.stage_res_blocks;
  if (blocks->n > 0 && blocks->n != u->num_stages)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.stage_res_blocks has %d entries but model.channel_mult has %d "
                     "conv stages (one count per stage, or [] for model.num_res_blocks each)",
                     config_where(cs, "model.stage_res_blocks"), blocks->n, u->num_stages);
  for (int s = 0; s < u->num_stages; s++) {
    u->stage_channels[s] = c->model.base_channels * c->model.channel_mult.v[s];
    u->stage_res_blocks[s] = blocks->n > 0 ? blocks->v[s] : c->model.num_res_blocks;
  }
  u->emb_channels = c->model.emb_channels ? c->model.emb_channels : 4 * c->model.base_channels;
  u->width = c->model.transformer_width;
  u->depth = c->model.transformer_depth;
  u->heads = c->model.transformer_heads;
  u->mlp_ratio = c->model.transformer_mlp_ratio;
  u->xfmr_dropout = (float)c->model.transformer_dropout;
  return uvit_config_validate(u) ? model_config_error(cs) : VDMC_OK;
}
