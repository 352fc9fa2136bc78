// The small units the U-Net blocks are made of: parameter registration, GroupNorm,
// [resample ->] conv, GN -> SiLU -> [resample] -> conv, and the embedding's scale-shift.
// Legend in unet_blocks.h.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "models/unet_blocks.h"
#include "ops/activation.h"
#include "ops/bf16_products.h"
#include "ops/conv2d.h"
#include "ops/norm.h"
#include "ops/resample.h"
#include "ops/tensor_ops.h"

int unet_params_add(UNetParams *p, const char *prefix, const char *leaf, int ndim,
                    const size_t *shape, UNetInitKind kind, size_t fan_in, size_t *off) {
  char name[PARAM_NAME_LEN];
  int n = snprintf(name, sizeof name, "%s.%s", prefix, leaf);
  if (n < 0 || (size_t)n >= sizeof name)
    return vdmc_fail(VDMC_ERR_INTERNAL, "parameter name too long: %s.%s", prefix, leaf);
  int st = param_table_add(&p->table, name, ndim, shape, ndim >= 2, off);
  if (st) return st;
  if (p->table.count > p->init_cap) {
    size_t cap = p->init_cap ? 2 * p->init_cap : 64;
    UNetInit *init = realloc(p->init, cap * sizeof *init);
    if (!init) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory growing the U-Net init table");
    p->init = init;
    p->init_cap = cap;
  }
  p->init[p->table.count - 1] = (UNetInit){kind, fan_in};
  return VDMC_OK;
}

void unet_params_init(const UNetParams *t, float *params, uint64_t seed) {
  memset(params, 0, t->table.total * sizeof *params);
  for (size_t i = 0; i < t->table.count; i++) {
    const ParamInfo *pi = &t->table.items[i];
    const UNetInit *in = &t->init[i];
    float *p = params + pi->offset;
    RngStream s = {.seed = seed, .purpose = RNG_INIT, .sub = (uint32_t)i};
    if (in->kind == UNET_INIT_ONE)
      for (size_t j = 0; j < pi->numel; j++) p[j] = 1.0f;
    if (in->kind == UNET_INIT_NORMAL) rng_normal(p, pi->numel, &s, 0);
    if (in->kind != UNET_INIT_FANIN) continue;
    float bound = 1.0f / sqrtf((float)in->fan_in);
    rng_uniform(p, pi->numel, &s, 0);
    for (size_t j = 0; j < pi->numel; j++) p[j] = (2.0f * p[j] - 1.0f) * bound;
  }
}

static size_t numel_of(int B, int H, int W, int C) { return (size_t)B * H * W * C; }

void unet_grow(size_t *need, size_t n) {
  if (n > *need) *need = n;
}

// ---- GroupNorm -------------------------------------------------------------------------

void gn_unit_setup(GnUnit *g, int HW, int C, int G) {
  memset(g, 0, sizeof *g);
  g->HW = HW;
  g->C = C;
  g->G = G;
}

int gn_unit_add_params(GnUnit *g, UNetParams *p, const char *prefix) {
  size_t shape[1] = {(size_t)g->C};
  int st = unet_params_add(p, prefix, "weight", 1, shape, UNET_INIT_ONE, 0, &g->w);
  return st ? st : unet_params_add(p, prefix, "bias", 1, shape, UNET_INIT_ZERO, 0, &g->b);
}

void gn_unit_plan(GnUnit *g, Arena *a, int B, size_t *tmp_need) {
  g->mean = arena_floats(a, (size_t)B * g->G);
  g->rstd = arena_floats(a, (size_t)B * g->G);
  size_t n = numel_of(B, g->HW, 1, g->C);
  // two bf16 values per float of the arena
  g->normal = g->storage == PREC_BF16 ? (uint16_t *)arena_floats(a, (n + 1) / 2) : NULL;
  unet_grow(tmp_need, numel_of(1, g->HW, 1, g->C));
}

// The bf16 plan's bits of the normalized input, from the statistics forward just saved.
static void keep_normal(const GnUnit *g, const float *inp, int B) {
  if (g->normal) groupnorm_normalized_bits(g->normal, inp, g->mean, g->rstd, B, g->HW, g->C, g->G);
}

void gn_unit_forward(GnUnit *g, float *out, const float *inp, const float *params, int B) {
  groupnorm_forward(out, g->mean, g->rstd, inp, params + g->w, params + g->b, B, g->HW, g->C,
                    g->G);
  keep_normal(g, inp, B);
}

void gn_unit_recompute(const GnUnit *g, float *out, const float *inp, const float *params, int B) {
  groupnorm_from_stats(out, inp, params + g->w, params + g->b, g->mean, g->rstd, B, g->HW, g->C,
                       g->G);
}

void gn_unit_silu_forward(GnUnit *g, float *out, const float *inp, const float *params, int B) {
  groupnorm_silu_forward(out, g->mean, g->rstd, inp, params + g->w, params + g->b, B, g->HW, g->C,
                         g->G);
  keep_normal(g, inp, B);
}

void gn_unit_silu_recompute(const GnUnit *g, float *out, const float *inp, const float *params,
                            int B) {
  groupnorm_silu_from_stats(out, inp, params + g->w, params + g->b, g->mean, g->rstd, B, g->HW,
                            g->C, g->G);
}

// A bf16 step's x-hat rounded: the kept bits, or formed from inp.
static RoundedNormal rounded_input(const GnUnit *g, const float *inp) {
  return (RoundedNormal){g->normal ? NULL : inp, g->normal};
}

void gn_unit_recompute_step(const GnUnit *g, int bf16, float *out, const float *inp,
                            const float *params, int B) {
  if (!bf16) {
    gn_unit_recompute(g, out, inp, params, B);
    return;
  }
  groupnorm_from_rounded_normal(out, rounded_input(g, inp), params + g->w, params + g->b, g->mean,
                                g->rstd, B, g->HW, g->C, g->G);
}

void gn_unit_backward_step(const GnUnit *g, int bf16, float *dinp, float *grads,
                           const float *dout, const float *inp, const float *params, int B) {
  if (!bf16) {
    gn_unit_backward(g, dinp, grads, dout, inp, params, B);
    return;
  }
  groupnorm_backward_rounded_normal(dinp, grads + g->w, grads + g->b, dout, rounded_input(g, inp),
                                    params + g->w, g->mean, g->rstd, B, g->HW, g->C, g->G);
}

void gn_unit_backward(const GnUnit *g, float *dinp, float *grads, const float *dout,
                      const float *inp, const float *params, int B) {
  groupnorm_backward(dinp, grads + g->w, grads + g->b, dout, inp, params + g->w, g->mean, g->rstd,
                     B, g->HW, g->C, g->G);
}

// ---- [resample ->] conv --------------------------------------------------------------------

static void resampled_size(UNetResample rs, int H, int W, int *Hr, int *Wr) {
  *Hr = rs == UNET_RESAMPLE_UP ? 2 * H : rs == UNET_RESAMPLE_DOWN ? H / 2 : H;
  *Wr = rs == UNET_RESAMPLE_UP ? 2 * W : rs == UNET_RESAMPLE_DOWN ? W / 2 : W;
}

static Conv2dDims conv_dims(const ConvUnit *c, int B) {
  int H, W;
  resampled_size(c->resample, c->H, c->W, &H, &W);
  return conv2d_dims(B, H, W, c->Cin, c->Cout, c->k, c->stride);
}

void conv_unit_setup(ConvUnit *c, UNetResample rs, int H, int W, int Cin, int Cout, int k,
                     int stride) {
  memset(c, 0, sizeof *c);
  c->resample = rs;
  c->H = H;
  c->W = W;
  c->Cin = Cin;
  c->Cout = Cout;
  c->k = k;
  c->stride = stride;
  Conv2dDims d = conv_dims(c, 1);
  c->Ho = conv2d_out_h(&d);
  c->Wo = conv2d_out_w(&d);
}

int conv_unit_add_params(ConvUnit *c, UNetParams *p, const char *prefix, int zero_init) {
  size_t fan_in = (size_t)c->k * c->k * c->Cin;
  size_t ws[4] = {(size_t)c->k, (size_t)c->k, (size_t)c->Cin, (size_t)c->Cout};
  size_t bs[1] = {(size_t)c->Cout};
  UNetInitKind kind = zero_init ? UNET_INIT_ZERO : UNET_INIT_FANIN;
  int st = unet_params_add(p, prefix, "weight", 4, ws, kind, fan_in, &c->w);
  return st ? st : unet_params_add(p, prefix, "bias", 1, bs, kind, fan_in, &c->b);
}

void conv_unit_plan(ConvUnit *c, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  Conv2dDims d = conv_dims(c, B);
  if (c->resample || c->saves_input) saved_operand_plan(&c->rs, a, numel_of(B, d.H, d.W, c->Cin), 0);
  unet_grow(tmp_need, numel_of(1, d.H, d.W, c->Cin));
  unet_grow(tmp_need, numel_of(1, c->Ho, c->Wo, c->Cout));
  unet_grow(op_need, conv2d_scratch_floats(&d));
}

void unet_resample_forward(UNetResample rs, float *out, const float *inp, int B, int H, int W,
                           int C) {
  if (rs == UNET_RESAMPLE_UP) upsample2x_forward(out, inp, B, H, W, C);
  if (rs == UNET_RESAMPLE_DOWN) avgpool2x_forward(out, inp, B, H, W, C);
}

void unet_resample_backward(UNetResample rs, float *dinp, const float *dout, int B, int H, int W,
                            int C) {
  if (rs == UNET_RESAMPLE_UP) upsample2x_backward(dinp, dout, B, H, W, C);
  if (rs == UNET_RESAMPLE_DOWN) avgpool2x_backward(dinp, dout, B, H, W, C);
}

void conv_unit_forward(const ConvUnit *c, float *out, const float *inp, const float *params,
                       int B, const UNetScratch *s) {
  Conv2dDims d = conv_dims(c, B);
  if (c->resample) {
    float *rs = saved_operand_values(&c->rs, s);
    unet_resample_forward(c->resample, rs, inp, B, c->H, c->W, c->Cin);
    saved_operand_store(&c->rs, rs, numel_of(B, d.H, d.W, c->Cin));
    inp = rs;
  } else if (c->saves_input) {
    saved_operand_store(&c->rs, inp, numel_of(B, d.H, d.W, c->Cin));
  }
  conv2d_forward_mixed(c->bf, out, inp, params + c->w, params + c->b, &d, s->op);
}

void conv_unit_backward(const ConvUnit *c, float *dinp, float *grads, const float *dout,
                        MixedInput inp, const float *params, int B, float *tmp,
                        float *op_scratch) {
  Conv2dDims d = conv_dims(c, B);
  if (!c->resample) {
    if (c->saves_input) inp = saved_operand_input(&c->rs);
    conv2d_backward_mixed(c->bf, dinp, grads + c->w, grads + c->b, dout, inp, params + c->w, &d,
                          op_scratch);
    return;
  }
  float *drs = dinp ? tmp : NULL;
  if (drs) zero_floats(drs, numel_of(B, d.H, d.W, c->Cin));
  conv2d_backward_mixed(c->bf, drs, grads + c->w, grads + c->b, dout, saved_operand_input(&c->rs),
                        params + c->w, &d, op_scratch);
  if (dinp) unet_resample_backward(c->resample, dinp, drs, B, c->H, c->W, c->Cin);
}

size_t conv_unit_mixed_floats(const ConvUnit *c, int B) {
  Conv2dDims d = conv_dims(c, B);
  return conv2d_mixed_floats(&d);
}

size_t conv_unit_input_floats(const ConvUnit *c) {
  Conv2dDims d = conv_dims(c, 1);
  return (size_t)d.H * d.W * d.Cin;
}

double conv_unit_flops(const ConvUnit *c) {
  return 2.0 * c->Ho * c->Wo * c->Cout * (double)c->k * c->k * c->Cin;
}

// ---- GN -> SiLU -> [resample] -> conv3x3 ------------------------------------------------------

void norm_act_conv_setup(NormActConv *n, UNetResample rs, int H, int W, int Ci, int Co, int G) {
  memset(n, 0, sizeof *n);
  gn_unit_setup(&n->gn, H * W, Ci, G);
  conv_unit_setup(&n->conv, rs, H, W, Ci, Co, 3, 1);
}

int norm_act_conv_add_params(NormActConv *n, UNetParams *p, const char *prefix,
                             const char *gn_name, const char *conv_name, int zero_init) {
  char name[PARAM_NAME_LEN];
  snprintf(name, sizeof name, "%s.%s", prefix, gn_name);
  int st = gn_unit_add_params(&n->gn, p, name);
  if (st) return st;
  snprintf(name, sizeof name, "%s.%s", prefix, conv_name);
  return conv_unit_add_params(&n->conv, p, name, zero_init);
}

void norm_act_conv_plan(NormActConv *n, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  gn_unit_plan(&n->gn, a, B, tmp_need);
  conv_unit_plan(&n->conv, a, B, tmp_need, op_need);
}

void norm_act_conv_forward(NormActConv *n, float *out, const float *inp, const float *params,
                           int B, UNetScratch *s) {
  gn_unit_silu_forward(&n->gn, s->norm, inp, params, B);
  conv_unit_forward(&n->conv, out, s->norm, params, B, s);
}

// GN's output again, into s->norm, with SiLU applied (silu) or not: in fp32 by forward's
// own calls on inp's floats, so forward's bits; in bf16 products from GN's normalized
// input rounded (kept, or formed from inp), as GN's backward reads it.
static void norm_act_recompute(const NormActConv *n, int silu, const float *inp,
                               const float *params, int B, UNetScratch *s) {
  if (silu && !n->conv.bf) {  // GN and SiLU in one pass, forward's bits
    gn_unit_silu_recompute(&n->gn, s->norm, inp, params, B);
    return;
  }
  gn_unit_recompute_step(&n->gn, n->conv.bf != NULL, s->norm, inp, params, B);
  if (silu) silu_forward(s->norm, s->norm, numel_of(B, n->gn.HW, 1, n->gn.C));
}

// inp: NULL in the bf16 plan (GN keeps its normalized input's bits).
void norm_act_conv_backward(NormActConv *n, float *dinp, float *grads, const float *dout,
                            const float *inp, const float *params, int B, UNetScratch *s) {
  size_t len = numel_of(B, n->gn.HW, 1, n->gn.C);
  float *dact = s->t[0], *dgn = s->t[2];
  zero_floats(dact, len);
  // the conv's input: SiLU(GN(inp)) again; a resampling conv reads its saved conv.rs
  if (!n->conv.resample) norm_act_recompute(n, 1, inp, params, B, s);
  conv_unit_backward(&n->conv, dact, grads, dout,
                     mixed_input_f32(n->conv.resample ? NULL : s->norm), params, B, dgn, s->op);
  zero_floats(dgn, len);
  norm_act_recompute(n, 0, inp, params, B, s);  // SiLU's input
  silu_backward(dgn, dact, s->norm, len);
  gn_unit_backward_step(&n->gn, n->conv.bf != NULL, dinp, grads, dgn, inp, params, B);
}

// ---- scale-shift conditioning from the embedding --------------------------------------------

void emb_mod_setup(EmbMod *m, int HW, int C) {
  memset(m, 0, sizeof *m);
  m->HW = HW;
  m->C = C;
}

int emb_mod_add_params(EmbMod *m, UNetParams *p, const char *prefix, int E) {
  size_t ws[2] = {(size_t)E, 2 * (size_t)m->C}, bs[1] = {2 * (size_t)m->C};
  int st = unet_params_add(p, prefix, "weight", 2, ws, UNET_INIT_FANIN, (size_t)E, &m->w);
  return st ? st : unet_params_add(p, prefix, "bias", 1, bs, UNET_INIT_FANIN, (size_t)E, &m->b);
}

void emb_mod_plan(EmbMod *m, Arena *a, int B, int tmp) {
  m->ss = arena_floats(a, (size_t)B * 2 * m->C);
  saved_operand_plan(&m->out, a, numel_of(B, m->HW, 1, m->C), tmp);
}

float *emb_mod_forward(EmbMod *m, const float *x, const float *emb_act, int E, const float *params,
                       int B, const UNetScratch *s) {
  float *out = saved_operand_values(&m->out, s);
  linear_forward_mixed(m->bf, m->ss, emb_act, params + m->w, params + m->b, B, E, 2 * m->C);
  scale_shift_forward(out, x, m->ss, B, m->HW, m->C);
  return out;
}

float *emb_mod_silu_forward(EmbMod *m, const float *x, const float *emb_act, int E,
                            const float *params, int B, const UNetScratch *s) {
  float *out = saved_operand_values(&m->out, s);
  linear_forward_mixed(m->bf, m->ss, emb_act, params + m->w, params + m->b, B, E, 2 * m->C);
  scale_shift_silu_forward(out, x, m->ss, B, m->HW, m->C);
  return out;
}

void emb_mod_recompute(const EmbMod *m, float *out, const float *x, int B) {
  scale_shift_forward(out, x, m->ss, B, m->HW, m->C);
}

void emb_mod_silu_recompute(const EmbMod *m, float *out, const float *x, int B) {
  scale_shift_silu_forward(out, x, m->ss, B, m->HW, m->C);
}

// Both backward flavours: dss through scale_shift[_silu]_backward, then the linear layer.
static void emb_mod_backward_any(const EmbMod *m, int silu, float *dx, float *demb_act,
                                 float *grads, const float *dout, const float *x,
                                 const float *emb_act, int E, const float *params, int B,
                                 UNetScratch *s) {
  float *dss = s->ss;
  memset(dss, 0, (size_t)B * 2 * m->C * sizeof *dss);
  if (silu)
    scale_shift_silu_backward(dx, dss, dout, x, m->ss, B, m->HW, m->C);
  else
    scale_shift_backward(dx, dss, dout, x, m->ss, B, m->HW, m->C);
  linear_backward_mixed(m->bf, demb_act, grads + m->w, grads + m->b, dss, mixed_input_f32(emb_act),
                        params + m->w, B, E, 2 * m->C);
}

void emb_mod_backward(const EmbMod *m, float *dx, float *demb_act, float *grads, const float *dout,
                      const float *x, const float *emb_act, int E, const float *params, int B,
                      UNetScratch *s) {
  emb_mod_backward_any(m, 0, dx, demb_act, grads, dout, x, emb_act, E, params, B, s);
}

void emb_mod_silu_backward(const EmbMod *m, float *dx, float *demb_act, float *grads,
                           const float *dout, const float *x, const float *emb_act, int E,
                           const float *params, int B, UNetScratch *s) {
  emb_mod_backward_any(m, 1, dx, demb_act, grads, dout, x, emb_act, E, params, B, s);
}

double emb_mod_flops(const EmbMod *m, int E) { return 2.0 * E * 2 * m->C; }
