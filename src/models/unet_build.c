// Walks the ADM U-Net architecture once (guided-diffusion UNetModel.__init__) to fill the
// step list and the parameter table, and plans the activation arena.
//   in.0 conv3x3 | per level: num_res_blocks x (res [+attn]), then a down-sampler
//   mid.0 res, mid.1 attn, mid.2 res
//   per level (reversed): (num_res_blocks+1) x (concat skip, res [+attn]), then an up-sampler
//   head: GN-SiLU-conv3x3
// Parameter names follow ADM's block numbering: "in.<i>.res.conv1.weight", "mid.1.attn...",
// "out.<i>.up.weight", "head.conv.weight".
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "models/unet.h"

typedef StepNetBuilder Builder;

static int push_step(StepNet *u, UNetStepKind kind, int block, int res, int C) {
  UNetStep *s = &u->steps[u->n_steps];
  s->kind = kind;
  s->block = block;
  s->skip = -1;
  s->H = s->W = res;
  s->C = C;
  s->param_begin = u->param_mark;
  u->param_mark = u->params.table.total;
  return u->n_steps++;
}

void unet_builder_push_skip(Builder *b) {
  int id = b->u->n_steps - 1;
  b->u->steps[id].is_skip_source = 1;
  b->stack[b->top++] = id;
}

int unet_builder_res(Builder *b, UNetResample rs, int Co, const char *prefix) {
  StepNet *u = b->u;
  int G1, G2;
  int st = unet_norm_groups(&u->cfg, b->ch, prefix, &G1);
  if (!st) st = unet_norm_groups(&u->cfg, Co, prefix, &G2);
  if (st) return st;
  ResBlock *r = &u->res[u->n_res];
  res_block_setup(r, rs, b->res, b->res, b->ch, Co, G1, G2, (uint32_t)u->n_res);
  if ((st = res_block_add_params(r, &u->params, prefix, u->embed.E))) return st;
  push_step(u, UNET_STEP_RES, u->n_res++, r->Ho, Co);
  b->ch = Co;
  b->res = r->Ho;
  return VDMC_OK;
}

static int wants_attention(const UNetConfig *c, int res) {
  for (int i = 0; i < c->num_attn; i++)
    if (c->attn_resolutions[i] == res) return 1;
  return 0;
}

static int add_attn(Builder *b, const char *prefix) {
  StepNet *u = b->u;
  if (b->ch % u->cfg.head_channels)
    return vdmc_fail(VDMC_ERR_INPUT,
                     "model.head_channels: %d does not divide the %d channels of %s",
                     u->cfg.head_channels, b->ch, prefix);
  int G, st = unet_norm_groups(&u->cfg, b->ch, prefix, &G);
  if (st) return st;
  AttnBlock *t = &u->attn[u->n_attn];
  attn_block_setup(t, b->res * b->res, b->ch, b->ch / u->cfg.head_channels, G,
                   u->cfg.attention_probs);
  if ((st = attn_block_add_params(t, &u->params, prefix))) return st;
  push_step(u, UNET_STEP_ATTN, u->n_attn++, b->res, b->ch);
  return VDMC_OK;
}

// A res block and, at attention resolutions, an attention block: one ADM "block".
static int add_res_attn(Builder *b, const char *side, int index, int Co) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s.%d.res", side, index);
  int st = unet_builder_res(b, UNET_RESAMPLE_NONE, Co, prefix);
  if (st || !wants_attention(&b->u->cfg, b->res)) return st;
  snprintf(prefix, sizeof prefix, "%s.%d.attn", side, index);
  return add_attn(b, prefix);
}

int unet_builder_conv(Builder *b, UNetResample rs, int Cout, int stride, const char *prefix) {
  StepNet *u = b->u;
  ConvUnit *c = &u->conv[u->n_conv];
  conv_unit_setup(c, rs, b->res, b->res, b->ch, Cout, 3, stride);
  int st = conv_unit_add_params(c, &u->params, prefix, 0);
  if (st) return st;
  push_step(u, UNET_STEP_CONV, u->n_conv++, c->Ho, Cout);
  b->ch = Cout;
  b->res = c->Ho;
  return VDMC_OK;
}

// Halves (DOWN) or doubles (UP) the resolution at constant channels.
static int add_resample(Builder *b, UNetResample rs, const char *prefix) {
  if (b->u->cfg.resblock_updown) return unet_builder_res(b, rs, b->ch, prefix);
  if (rs == UNET_RESAMPLE_DOWN) return unet_builder_conv(b, UNET_RESAMPLE_NONE, b->ch, 2, prefix);
  return unet_builder_conv(b, UNET_RESAMPLE_UP, b->ch, 1, prefix);
}

void unet_builder_concat(Builder *b) {
  StepNet *u = b->u;
  int skip = b->stack[--b->top];
  int id = push_step(u, UNET_STEP_CONCAT, -1, b->res, b->ch + u->steps[skip].C);
  u->steps[id].skip = skip;
  b->ch = u->steps[id].C;
}

int unet_builder_alloc(Builder *b, int n_res, int n_attn, int n_conv, int n_xfmr, int n_steps) {
  StepNet *u = b->u;
  u->res = calloc((size_t)n_res + 1, sizeof *u->res);
  u->attn = calloc((size_t)n_attn + 1, sizeof *u->attn);
  u->conv = calloc((size_t)n_conv + 1, sizeof *u->conv);
  u->xfmr = calloc((size_t)n_xfmr + 1, sizeof *u->xfmr);
  u->steps = calloc((size_t)n_steps, sizeof *u->steps);
  b->stack = calloc((size_t)n_steps, sizeof *b->stack);
  if (!u->res || !u->attn || !u->conv || !u->xfmr || !u->steps || !b->stack)
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory building the model's step list");
  return VDMC_OK;
}

static int alloc_lists(Builder *b) {
  const UNetConfig *c = &b->u->cfg;
  int L = c->num_levels, n = c->num_res_blocks;
  int n_res = L * n + 2 * (L - 1) + 2 + L * (n + 1);
  int n_attn = L * n + 1 + L * (n + 1);
  int n_conv = 1 + 2 * (L - 1);
  int n_steps = n_res + n_attn + n_conv + L * (n + 1) + 1;
  return unet_builder_alloc(b, n_res, n_attn, n_conv, 0, n_steps);
}

static int build_encoder(Builder *b) {
  StepNet *u = b->u;
  const UNetConfig *c = &u->cfg;
  int st = unet_builder_conv(b, UNET_RESAMPLE_NONE, c->base_channels, 1, "in.0.conv");
  if (st) return st;
  unet_builder_push_skip(b);
  int index = 1;
  char prefix[64];
  for (int l = 0; l < c->num_levels; l++) {
    for (int i = 0; i < c->num_res_blocks; i++) {
      if ((st = add_res_attn(b, "in", index++, c->channel_mult[l] * c->base_channels))) return st;
      unet_builder_push_skip(b);
    }
    if (l == c->num_levels - 1) break;
    snprintf(prefix, sizeof prefix, "in.%d.down", index++);
    if ((st = add_resample(b, UNET_RESAMPLE_DOWN, prefix))) return st;
    unet_builder_push_skip(b);
  }
  return VDMC_OK;
}

static int build_middle_decoder(Builder *b) {
  StepNet *u = b->u;
  const UNetConfig *c = &u->cfg;
  int st = unet_builder_res(b, UNET_RESAMPLE_NONE, b->ch, "mid.0.res");
  if (!st) st = add_attn(b, "mid.1.attn");
  if (!st) st = unet_builder_res(b, UNET_RESAMPLE_NONE, b->ch, "mid.2.res");
  if (st) return st;
  int index = 0;
  char prefix[64];
  for (int l = c->num_levels - 1; l >= 0; l--) {
    for (int i = 0; i <= c->num_res_blocks; i++, index++) {
      unet_builder_concat(b);
      if ((st = add_res_attn(b, "out", index, c->channel_mult[l] * c->base_channels))) return st;
      if (l == 0 || i < c->num_res_blocks) continue;
      snprintf(prefix, sizeof prefix, "out.%d.up", index);
      if ((st = add_resample(b, UNET_RESAMPLE_UP, prefix))) return st;
    }
  }
  return unet_builder_head(b);
}

int unet_builder_xfmr(Builder *b, XfmrKind kind, int arg, float p, const char *prefix) {
  StepNet *u = b->u;
  XfmrBlock *x = &u->xfmr[u->n_xfmr];
  xfmr_block_setup(x, kind, b->res * b->res, b->ch, arg, p, UNET_XFMR_SITE + (uint32_t)u->n_xfmr,
                   u->cfg.attention_probs);
  int st = xfmr_block_add_params(x, &u->params, prefix, u->embed.E);
  if (st) return st;
  push_step(u, UNET_STEP_XFMR, u->n_xfmr++, b->res, b->ch);
  return VDMC_OK;
}

int unet_builder_head(Builder *b) {
  StepNet *u = b->u;
  int G, st = unet_norm_groups(&u->cfg, b->ch, "head", &G);
  if (st) return st;
  norm_act_conv_setup(&u->head, UNET_RESAMPLE_NONE, b->res, b->res, b->ch, u->cfg.out_channels, G);
  if ((st = norm_act_conv_add_params(&u->head, &u->params, "head", "gn", "conv", 1))) return st;
  push_step(u, UNET_STEP_HEAD, -1, b->res, u->cfg.out_channels);
  return VDMC_OK;
}

int unet_build(StepNet *u) {
  Builder b = {.u = u, .ch = unet_input_channels(&u->cfg), .res = u->cfg.resolution};
  embed_setup(&u->embed, u->cfg.base_channels, 4 * u->cfg.base_channels, u->cfg.num_classes,
              u->cfg.lambda_scale);
  int st = alloc_lists(&b);
  if (!st) st = embed_add_params(&u->embed, &u->params);
  u->param_mark = u->params.table.total;  // the embedding's gradients finish last
  if (!st) st = build_encoder(&b);
  if (!st) st = build_middle_decoder(&b);
  free(b.stack);
  return st;
}

// Whether step k's backward reads its input in float32. The bf16 plan's norms keep their
// normalized input's bits and its plain convs their input's bits instead
// (models/unet_precision.c); a CONCAT reads nothing; the stem reads the caller's input.
static int step_reads_input(const StepNet *u, const UNetStep *s, int k) {
  if (k == 0) return 1;
  switch (s->kind) {
    case UNET_STEP_CONV: return !u->conv[s->block].resample && !u->conv[s->block].saves_input;
    case UNET_STEP_RES: {
      const ResBlock *r = &u->res[s->block];
      int skip_reads = r->has_skip && !r->resample && !r->skip.saves_input;
      return r->in.gn.storage != PREC_BF16 || skip_reads;
    }
    case UNET_STEP_ATTN: return u->attn[s->block].gn.storage != PREC_BF16;
    case UNET_STEP_HEAD: return u->head.gn.storage != PREC_BF16;
    case UNET_STEP_XFMR: return u->xfmr[s->block].storage != PREC_BF16;
    case UNET_STEP_CONCAT: return 0;
  }
  return 1;
}

// Which outputs get their own arena tensor. The fp32 plan keeps every one (its layout is
// the one fp32's measurements were made with). The bf16 plan keeps a skip source (a
// later CONCAT reads it in forward) and an output the next step's backward reads; the
// others are written in the ping-pong gradient buffers, which forward does not use, and
// live only until the next step has read them. A skip source no backward reads holds
// its own gradient during backward (its values are dead by then).
static void plan_outputs(StepNet *u) {
  for (int k = 0; k < u->n_steps; k++) u->steps[k].reads_input = step_reads_input(u, &u->steps[k], k);
  for (int k = 0; k < u->n_steps; k++) {
    UNetStep *s = &u->steps[k];
    int read = k + 1 < u->n_steps && u->steps[k + 1].reads_input;
    s->out_saved = s->kind != UNET_STEP_HEAD &&
                   (u->storage != PREC_BF16 || s->is_skip_source || read);
  }
}

void unet_plan(StepNet *u, Arena *a, int B) {
  size_t tmp = 0, op = 0, cmax = 0;
  plan_outputs(u);
  embed_plan(&u->embed, a, B);
  size_t nin = (size_t)B * u->cfg.resolution * u->cfg.resolution * unet_input_channels(&u->cfg);
  int fourier = unet_input_channels(&u->cfg) != u->cfg.in_channels;
  u->fourier = fourier ? arena_floats(a, nin) : NULL;
  u->dfourier = fourier ? arena_floats(a, nin) : NULL;
  for (int k = 0; k < u->n_steps; k++) {
    UNetStep *s = &u->steps[k];
    size_t n = (size_t)s->H * s->W * s->C;
    unet_grow(&tmp, n);
    unet_grow(&cmax, (size_t)s->C);
    int read = k + 1 < u->n_steps && u->steps[k + 1].reads_input;
    s->out = s->out_saved ? arena_floats(a, (size_t)B * n) : NULL;
    s->grad = !s->is_skip_source ? NULL : read ? arena_floats(a, (size_t)B * n) : s->out;
    if (s->kind == UNET_STEP_RES) res_block_plan(&u->res[s->block], a, B, &tmp, &op);
    if (s->kind == UNET_STEP_ATTN) attn_block_plan(&u->attn[s->block], a, B, &tmp, &op);
    if (s->kind == UNET_STEP_CONV) conv_unit_plan(&u->conv[s->block], a, B, &tmp, &op);
    if (s->kind == UNET_STEP_HEAD) norm_act_conv_plan(&u->head, a, B, &tmp, &op);
    if (s->kind == UNET_STEP_XFMR) xfmr_block_plan(&u->xfmr[s->block], a, B, &tmp, &op);
  }
  for (int i = 0; i < 2; i++) u->grad_pingpong[i] = arena_floats(a, (size_t)B * tmp);
  for (int i = 0; i < 3; i++) u->scratch.t[i] = arena_floats(a, (size_t)B * tmp);
  u->scratch.norm = arena_floats(a, (size_t)B * tmp);
  u->scratch.ss = arena_floats(a, (size_t)B * 2 * cmax);
  u->scratch.op = arena_floats(a, op);
  // A tensor read only by the next step needs its gradient from that step's backward
  // until its own backward: consecutive steps alternate between two buffers. Forward's
  // outputs that no backward reads alternate between the same two.
  for (int k = 0; k < u->n_steps; k++) {
    UNetStep *s = &u->steps[k];
    if (!s->is_skip_source) s->grad = u->grad_pingpong[k & 1];
    if (!s->out_saved && s->kind != UNET_STEP_HEAD) s->out = u->grad_pingpong[k & 1];
  }
  u->max_tensor = tmp;
  u->max_op_scratch = op;
}
