#include "models/unet_from_config.h"

#include <string.h>

#include "core/status.h"

int unet_config_from_config(UNetConfig *u, const ConfigSet *cs) {
  const Config *c = &cs->values;
  memset(u, 0, sizeof *u);
  if (strcmp(c->model.arch, "unet") != 0)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.arch '%s' is not a U-Net", config_where(cs, "model.arch"),
                     c->model.arch);
  u->in_channels = u->out_channels = c->model.in_channels;
  u->resolution = c->model.resolution;
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
  u->dropout = (float)c->model.dropout;
  u->num_classes = c->model.num_classes;
  u->resblock_updown = c->model.resblock_updown;
  u->norm_groups = c->model.norm_groups;
  u->lambda_scale = c->model.lambda_scale;
  u->fourier_features = c->model.fourier_features;
  u->fourier_n_min = UNET_FOURIER_N_MIN;
  u->fourier_n_max = UNET_FOURIER_N_MAX;
  return unet_config_validate(u) ? model_config_error(cs) : VDMC_OK;
}

int model_config_error(const ConfigSet *cs) {
  return vdmc_fail(VDMC_ERR_INPUT, "%s: %s", cs->source_name, vdmc_error_message());
}
