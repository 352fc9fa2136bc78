// U-ViT transformer halves (pre-LN, adaLN conditioning): the attention half reuses the
// U-Net's attention core and the res blocks' scale-shift unit. Legend in uvit_blocks.h.
#include <stdio.h>
#include <string.h>

#include "models/uvit_blocks.h"
#include "ops/activation.h"
#include "ops/bf16_products.h"
#include "ops/norm.h"
#include "ops/tensor_ops.h"

void xfmr_block_setup(XfmrBlock *x, XfmrKind kind, int T, int C, int arg, float p, uint32_t site,
                      AttnProbs probs_kept) {
  memset(x, 0, sizeof *x);
  x->kind = kind;
  x->T = T;
  x->C = C;
  emb_mod_setup(&x->mod, T, C);
  if (kind == XFMR_ATTN) attn_core_setup(&x->attn, T, C, arg, probs_kept);
  x->F = kind == XFMR_MLP ? arg : 0;
  x->p = p;
  x->site = site;
}

int xfmr_block_add_params(XfmrBlock *x, UNetParams *p, const char *prefix, int E) {
  char name[PARAM_NAME_LEN];
  snprintf(name, sizeof name, "%s.ada", prefix);
  int st = emb_mod_add_params(&x->mod, p, name, E);
  if (st) return st;
  if (x->kind == XFMR_ATTN) return attn_core_add_params(&x->attn, p, prefix);
  st = unet_add_linear(p, prefix, "fc1", x->C, x->F, 0, &x->fc1_w, &x->fc1_b);
  return st ? st : unet_add_linear(p, prefix, "fc2", x->F, x->C, 1, &x->fc2_w, &x->fc2_b);
}

void xfmr_block_plan(XfmrBlock *x, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  size_t rows = (size_t)B * x->T;
  x->mean = arena_floats(a, rows);
  x->rstd = arena_floats(a, rows);
  int half = x->storage == PREC_BF16;
  // two bf16 values per float of the arena
  x->normal = half ? (uint16_t *)arena_floats(a, (rows * x->C + 1) / 2) : NULL;
  emb_mod_plan(&x->mod, a, B, 0);  // adaLN(x): qkv's or fc1's input
  unet_grow(tmp_need, (size_t)x->T * x->C);
  if (x->kind == XFMR_ATTN) {
    attn_core_plan(&x->attn, a, B, tmp_need, op_need);
    return;
  }
  x->u = half ? NULL : arena_floats(a, rows * x->F);
  // two bf16 values per float of the arena
  x->slope = half ? (uint16_t *)arena_floats(a, (rows * x->F + 1) / 2) : NULL;
  saved_operand_plan(&x->g, a, rows * x->F, 1);
  unet_grow(tmp_need, (size_t)x->T * x->F);
}

static int drops(const XfmrBlock *x, const DropoutKey *drop, DropoutKey *k) {
  if (!drop || x->p <= 0) return 0;
  *k = *drop;
  k->site += x->site;
  k->p = x->p;
  return 1;
}

void xfmr_block_forward(XfmrBlock *x, float *out, const float *inp, const float *emb_act, int E,
                        const float *params, int B, const DropoutKey *drop, UNetScratch *s) {
  int N = B * x->T;
  layernorm_forward(s->norm, x->mean, x->rstd, inp, NULL, NULL, N, x->C);
  if (x->normal) layernorm_normalized_bits(x->normal, inp, x->mean, x->rstd, N, x->C);
  float *hn = emb_mod_forward(&x->mod, s->norm, emb_act, E, params, B, s);
  saved_operand_store(&x->mod.out, hn, (size_t)N * x->C);
  if (x->kind == XFMR_ATTN) {
    attn_core_forward(&x->attn, out, hn, inp, params, B, s);
    return;
  }
  size_t nF = (size_t)N * x->F;
  float *u = x->slope ? s->t[2] : x->u;
  linear_forward_mixed(x->bf, u, hn, params + x->fc1_w, params + x->fc1_b, N, x->C, x->F);
  float *g = saved_operand_values(&x->g, s);
  if (x->slope)
    gelu_forward_slope(g, x->slope, u, nF);
  else
    gelu_forward(g, u, nF);
  DropoutKey k;
  if (drops(x, drop, &k)) dropout_forward(g, g, B, (size_t)x->T * x->F, &k);
  saved_operand_store(&x->g, g, nF);
  linear_forward_mixed(x->bf, out, g, params + x->fc2_w, params + x->fc2_b, N, x->F, x->C);
  accumulate(out, inp, (size_t)N * x->C);
}

// MLP half: gradient of the modulated input mod.out (given as hn) into dmod; t[0] and
// t[1] are used.
static void mlp_backward(XfmrBlock *x, float *dmod, float *grads, const float *dout,
                         MixedInput hn, const float *params, int B, const DropoutKey *drop,
                         UNetScratch *s) {
  int N = B * x->T;
  size_t nF = (size_t)N * x->F, bytes = nF * sizeof(float);
  float *dg = s->t[0], *du = s->t[1];
  memset(dg, 0, bytes);
  linear_backward_mixed(x->bf, dg, grads + x->fc2_w, grads + x->fc2_b, dout,
                        saved_operand_input(&x->g), params + x->fc2_w, N, x->F, x->C);
  DropoutKey k;
  if (drops(x, drop, &k)) dropout_backward_inplace(dg, B, (size_t)x->T * x->F, &k);
  memset(du, 0, bytes);
  if (x->bf)  // bf16 products: the slope in bf16, kept or rounded from u (the same values)
    gelu_backward_rounded(du, dg, (GeluSlopeFrom){x->u, x->slope}, nF);
  else
    gelu_backward(du, dg, x->u, nF);
  linear_backward_mixed(x->bf, dmod, grads + x->fc1_w, grads + x->fc1_b, du, hn,
                        params + x->fc1_w, N, x->C, x->F);
}

void xfmr_block_backward(XfmrBlock *x, float *dinp, float *demb_act, float *grads,
                         const float *dout, const float *inp, const float *emb_act, int E,
                         const float *params, int B, const DropoutKey *drop, UNetScratch *s) {
  int N = B * x->T;
  size_t bytes = (size_t)N * x->C * sizeof(float);
  float *dmod = s->t[2], *dln = s->t[0];
  // LN(x), recomputed, not saved (UNetScratch.norm); in bf16 products from LN's
  // normalized input rounded (kept, or formed from x), as LN's backward reads it
  RoundedNormal xn = {x->normal ? NULL : inp, x->normal};
  // adaLN(x) = mod.out, the qkv's or fc1's input: fp32 reads the saved one; bf16 products
  // make it again from LN(x), as forward did, in s->norm (the halves' backward leave it)
  MixedInput hn = saved_operand_input(&x->mod.out);
  if (x->bf) {
    layernorm_from_rounded_normal(s->norm, xn, NULL, NULL, x->mean, x->rstd, N, x->C);
    emb_mod_recompute(&x->mod, s->norm, s->norm, B);
    hn = mixed_input_f32(s->norm);
  }
  memset(dmod, 0, bytes);
  if (x->kind == XFMR_ATTN) {
    attn_core_backward(&x->attn, dmod, dinp, grads, dout, hn, params, B, s);
  } else {
    accumulate(dinp, dout, (size_t)N * x->C);
    mlp_backward(x, dmod, grads, dout, hn, params, B, drop, s);
  }
  memset(dln, 0, bytes);
  // LN(x) again, the scale-shift's input
  if (x->bf)
    layernorm_from_rounded_normal(s->norm, xn, NULL, NULL, x->mean, x->rstd, N, x->C);
  else
    layernorm_from_stats(s->norm, inp, NULL, NULL, x->mean, x->rstd, N, x->C);
  emb_mod_backward(&x->mod, dln, demb_act, grads, dmod, s->norm, emb_act, E, params, B, s);
  if (x->bf)
    layernorm_backward_rounded_normal(dinp, NULL, NULL, dln, xn, NULL, x->mean, x->rstd, N, x->C);
  else
    layernorm_backward(dinp, NULL, NULL, dln, inp, NULL, x->mean, x->rstd, N, x->C);
}

double xfmr_block_flops(const XfmrBlock *x, int E) {
  double f = emb_mod_flops(&x->mod, E);
  if (x->kind == XFMR_ATTN) return f + attn_core_flops(&x->attn);
  return f + 2 * 2.0 * x->T * x->C * x->F;
}
