#include "models/unet_from_config.h"

#include <string.h>

#include "core/status.h"
#include "models/model_from_config.h"

int unet_config_from_config(UNetConfig *u, const ConfigSet *cs) {
  const Config *c = &cs->values;
  memset(u, 0, sizeof *u);
  ModelCommon common;
  int st = model_common_from_config(&common, cs, "unet", "a U-Net");
  if (st) return st;
  unet_config_set_common(u, &common);
  u->base_channels = c->model.base_channels;
  u->num_levels = c->model.channel_mult.n;
  if (u->num_levels > UNET_MAX_LEVELS)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.channel_mult has %d levels, at most %d",
                     config_where(cs, "model.channel_mult"), u->num_levels, UNET_MAX_LEVELS);
  for (int i = 0; i < u->num_levels; i++) u->channel_mult[i] = c->model.channel_mult.v[i];
  u->num_res_blocks = c->model.num_res_blocks;
  u->num_attn = c->model.attn_resolutions.n;
  for (int i = 0; i < u->num_attn; i++) u->attn_resolutions[i] = c->model.attn_resolutions.v[i];
  u->head_channels = c->model.head_channels;
  u->resblock_updown = c->model.resblock_updown;
  return unet_config_validate(u) ? model_config_error(cs) : VDMC_OK;
}
