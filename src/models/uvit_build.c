// Walks the U-ViT architecture once into the U-Net step machine (models/unet.h):
//   in.0 conv3x3 | per stage s: stage_res_blocks[s] res blocks, then conv3x3 stride 2
//   (the last one maps to the transformer width at the token resolution)
//   mid.<d>.attn, mid.<d>.mlp: depth transformer blocks, each two residual halves
//   per stage s reversed: nearest x2 + conv3x3 to the stage's channels, then
//   (stage_res_blocks[s] + 1) x (concat skip, res block)
//   head: GN-SiLU-conv3x3
// Skip sources are in.0, every down-stage res block and every down-sampler but the last
// (its output is the transformer's input), as in ADM's encoder.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "models/uvit.h"

static int build_down(StepNetBuilder *b, const UViTConfig *c) {
  char prefix[64];
  int st = unet_builder_conv(b, UNET_RESAMPLE_NONE, c->stage_channels[0], 1, "in.0.conv");
  if (st) return st;
  unet_builder_push_skip(b);
  int index = 1;
  for (int s = 0; s < c->num_stages; s++) {
    for (int i = 0; i < c->stage_res_blocks[s]; i++) {
      snprintf(prefix, sizeof prefix, "in.%d.res", index++);
      if ((st = unet_builder_res(b, UNET_RESAMPLE_NONE, c->stage_channels[s], prefix))) return st;
      unet_builder_push_skip(b);
    }
    int last = s == c->num_stages - 1;
    snprintf(prefix, sizeof prefix, "in.%d.down", index++);
    if ((st = unet_builder_conv(b, UNET_RESAMPLE_NONE, last ? c->width : c->stage_channels[s], 2,
                                prefix)))
      return st;
    if (!last) unet_builder_push_skip(b);
  }
  return VDMC_OK;
}

static int build_transformer(StepNetBuilder *b, const UViTConfig *c) {
  char prefix[64];
  for (int d = 0; d < c->depth; d++) {
    snprintf(prefix, sizeof prefix, "mid.%d.attn", d);
    int st = unet_builder_xfmr(b, XFMR_ATTN, c->heads, c->xfmr_dropout, prefix);
    snprintf(prefix, sizeof prefix, "mid.%d.mlp", d);
    if (!st) st = unet_builder_xfmr(b, XFMR_MLP, c->mlp_ratio * c->width, c->xfmr_dropout, prefix);
    if (st) return st;
  }
  return VDMC_OK;
}

static int build_up(StepNetBuilder *b, const UViTConfig *c) {
  char prefix[64];
  int index = 0, st;
  for (int s = c->num_stages - 1; s >= 0; s--) {
    snprintf(prefix, sizeof prefix, "out.%d.up", index++);
    if ((st = unet_builder_conv(b, UNET_RESAMPLE_UP, c->stage_channels[s], 1, prefix))) return st;
    for (int i = 0; i <= c->stage_res_blocks[s]; i++) {
      unet_builder_concat(b);
      snprintf(prefix, sizeof prefix, "out.%d.res", index++);
      if ((st = unet_builder_res(b, UNET_RESAMPLE_NONE, c->stage_channels[s], prefix))) return st;
    }
  }
  return unet_builder_head(b);
}

static int build(StepNet *u, const UViTConfig *c) {
  StepNetBuilder b = {.u = u, .ch = unet_input_channels(&u->cfg), .res = c->common.resolution};
  int n_res = 0, n_concat = 0;
  for (int s = 0; s < c->num_stages; s++) {
    n_res += 2 * c->stage_res_blocks[s] + 1;
    n_concat += c->stage_res_blocks[s] + 1;
  }
  int n_conv = 1 + 2 * c->num_stages, n_xfmr = 2 * c->depth;
  embed_setup(&u->embed, c->stage_channels[0], c->emb_channels, c->common.num_classes, c->common.lambda_scale);
  int st = unet_builder_alloc(&b, n_res, 0, n_conv, n_xfmr, n_res + n_conv + n_xfmr + n_concat + 1);
  if (!st) st = embed_add_params(&u->embed, &u->params);
  u->param_mark = u->params.table.total;  // the embedding's gradients finish last
  if (!st) st = build_down(&b, c);
  if (!st) st = build_transformer(&b, c);
  if (!st) st = build_up(&b, c);
  free(b.stack);
  return st;
}

int uvit_create(StepNet *u, const UViTConfig *cfg, int max_batch) {
  memset(u, 0, sizeof *u);
  int st = uvit_config_validate(cfg);
  if (st) return st;
  if (max_batch < 1)
    return vdmc_fail(VDMC_ERR_INPUT, "uvit: max_batch must be >= 1, got %d", max_batch);
  // the UNetConfig fields the step machine reads after the build (input checks, dropout,
  // GroupNorm groups, embedding width); the U-Net-only fields stay zero
  unet_config_set_common(&u->cfg, &cfg->common);
  u->cfg.base_channels = cfg->stage_channels[0];
  u->max_batch = max_batch;
  param_table_init(&u->params.table);
  if ((st = build(u, cfg))) {
    stepnet_free(u);
    return st;
  }
  return unet_alloc_arena(u);
}
