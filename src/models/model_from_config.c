#include "models/model_from_config.h"

#include <string.h>

#include "core/status.h"

// Checks that model.arch is `arch` ("unet"; the error calls it `title`, "a U-Net") and
// fills m from the keys both architectures share.
static int common_from_config(ModelCommon *m, const ConfigSet *cs, const char *arch, const char *title) {
  const Config *c = &cs->values;
  memset(m, 0, sizeof *m);
  if (strcmp(c->model.arch, arch) != 0)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.arch '%s' is not %s", config_where(cs, "model.arch"), c->model.arch,
                     title);
  m->in_channels = m->out_channels = c->model.in_channels;
  m->resolution = c->model.resolution;
  m->dropout = (float)c->model.dropout;
  m->num_classes = c->model.num_classes;
  m->norm_groups = c->model.norm_groups;
  m->lambda_scale = c->model.lambda_scale;
  m->fourier_features = c->model.fourier_features;
  m->fourier_n_min = UNET_FOURIER_N_MIN;
  m->fourier_n_max = UNET_FOURIER_N_MAX;
  // the config layer checked the name against the same list (unit.config_names)
  for (int k = 0; k < ATTN_PROBS_COUNT; k++)
    if (!strcmp(c->model.attention_probs, attn_probs_name((AttnProbs)k))) {
      m->attention_probs = (AttnProbs)k;
      return VDMC_OK;
    }
  return vdmc_fail(VDMC_ERR_INPUT, "%s: model.attention_probs '%s' is not saved or recomputed",
                   config_where(cs, "model.attention_probs"), c->model.attention_probs);
}

// After a model config failed validation: the same error prefixed with the config's
// source (file) name.
static int config_error(const ConfigSet *cs) {
  return vdmc_fail(VDMC_ERR_INPUT, "%s: %s", cs->source_name, vdmc_error_message());
}

int unet_config_from_config(UNetConfig *u, const ConfigSet *cs) {
  const Config *c = &cs->values;
  memset(u, 0, sizeof *u);
  ModelCommon common;
  int st = common_from_config(&common, cs, "unet", "a U-Net");
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
  return unet_config_validate(u) ? config_error(cs) : VDMC_OK;
}

int uvit_config_from_config(UViTConfig *u, const ConfigSet *cs) {
  const Config *c = &cs->values;
  memset(u, 0, sizeof *u);
  int st = common_from_config(&u->common, cs, "uvit", "a U-ViT");
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
  return uvit_config_validate(u) ? config_error(cs) : VDMC_OK;
}

int model_create_from_config(StepNet *net, const ConfigSet *cs, int max_batch) {
  if (!strcmp(cs->values.model.arch, "uvit")) {
    UViTConfig v;
    int rc = uvit_config_from_config(&v, cs);
    return rc ? rc : uvit_create(net, &v, max_batch);
  }
  UNetConfig u;
  int rc = unet_config_from_config(&u, cs);
  return rc ? rc : unet_create(net, &u, max_batch);
}

int model_set_train_precision(StepNet *net, const ConfigSet *cs) {
  int bf16 = !strcmp(cs->values.train.precision, "bf16");
  return stepnet_set_precision(net, bf16 ? PREC_BF16 : PREC_FP32);
}
