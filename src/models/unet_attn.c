// Self-attention: the core out = x + proj(attention(qkv(hn))) shared by the ADM attention
// block (hn = GN(x)) and the U-ViT transformer (hn = adaLN(x)); heads of C/NH channels,
// q|k|v split first and heads second (guided-diffusion QKVAttention, the "new" order).
// Legend in unet_blocks.h.
#include <stdio.h>
#include <string.h>

#include "models/unet_blocks.h"
#include "ops/attention.h"
#include "ops/bf16_products.h"
#include "ops/linear.h"
#include "ops/tensor_ops.h"

int unet_add_linear(UNetParams *p, const char *prefix, const char *leaf, int Cin, int Cout,
                    int zero_init, size_t *w, size_t *b) {
  char name[PARAM_NAME_LEN];
  snprintf(name, sizeof name, "%s.%s", prefix, leaf);
  size_t ws[2] = {(size_t)Cin, (size_t)Cout}, bs[1] = {(size_t)Cout};
  UNetInitKind kind = zero_init ? UNET_INIT_ZERO : UNET_INIT_FANIN;
  int st = unet_params_add(p, name, "weight", 2, ws, kind, (size_t)Cin, w);
  return st ? st : unet_params_add(p, name, "bias", 1, bs, kind, (size_t)Cin, b);
}

// ---- core ------------------------------------------------------------------------------

void attn_core_setup(AttnCore *t, int HW, int C, int NH, AttnProbs probs_kept) {
  memset(t, 0, sizeof *t);
  t->HW = HW;
  t->C = C;
  t->NH = NH;
  t->probs_kept = probs_kept;
}

int attn_core_add_params(AttnCore *t, UNetParams *p, const char *prefix) {
  int st = unet_add_linear(p, prefix, "qkv", t->C, 3 * t->C, 0, &t->qkv_w, &t->qkv_b);
  return st ? st : unet_add_linear(p, prefix, "proj", t->C, t->C, 1, &t->proj_w, &t->proj_b);
}

void attn_core_plan(AttnCore *t, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  size_t n = (size_t)B * t->HW * t->C;
  saved_operand_plan(&t->qkv, a, 3 * n, 1);
  size_t np = (size_t)B * t->NH * t->HW * t->HW;
  int saved = t->probs_kept == ATTN_PROBS_SAVED, half = saved && t->probs_storage == PREC_BF16;
  const AttnKept kept = !saved ? ATTN_KEPT_NONE : half ? ATTN_KEPT_BF16 : ATTN_KEPT_F32;
  t->probs.f32 = kept == ATTN_KEPT_F32 ? arena_floats(a, np) : NULL;
  // two bf16 values per float of the arena
  t->probs.bf16 = half ? (uint16_t *)arena_floats(a, (np + 1) / 2) : NULL;
  saved_operand_plan(&t->att, a, n, 2);
  unet_grow(tmp_need, 3 * (size_t)t->HW * t->C);
  unet_grow(op_need, attention_scratch_floats(B, t->HW, t->C, t->NH, kept));
}

void attn_core_forward(AttnCore *t, float *out, const float *hn, const float *x, const float *params,
                       int B, UNetScratch *s) {
  int N = B * t->HW, C = t->C;
  size_t n = (size_t)N * C;
  float *qkv = saved_operand_values(&t->qkv, s), *att = saved_operand_values(&t->att, s);
  linear_forward_mixed(t->bf, qkv, hn, params + t->qkv_w, params + t->qkv_b, N, C, 3 * C);
  saved_operand_store(&t->qkv, qkv, 3 * n);
  attention_forward_mixed(t->bf, att, t->probs, qkv, B, t->HW, C, t->NH, s->op);
  saved_operand_store(&t->att, att, n);
  linear_forward_mixed(t->bf, out, att, params + t->proj_w, params + t->proj_b, N, C, C);
  accumulate(out, x, (size_t)N * C);
}

void attn_core_backward(AttnCore *t, float *dhn, float *dx, float *grads, const float *dout,
                        MixedInput hn, const float *params, int B, UNetScratch *s) {
  int N = B * t->HW, C = t->C;
  size_t n = (size_t)N * C;
  float *datt = s->t[0], *dqkv = s->t[1];
  accumulate(dx, dout, n);
  zero_floats(datt, n);
  linear_backward_mixed(t->bf, datt, grads + t->proj_w, grads + t->proj_b, dout,
                        saved_operand_input(&t->att), params + t->proj_w, N, C, C);
  zero_floats(dqkv, 3 * n);
  attention_backward_mixed(t->bf, dqkv, datt, saved_operand_input(&t->qkv), t->probs, B, t->HW, C,
                           t->NH, s->op);
  linear_backward_mixed(t->bf, dhn, grads + t->qkv_w, grads + t->qkv_b, dqkv, hn, params + t->qkv_w,
                        N, C, 3 * C);
}

double attn_core_flops(const AttnCore *t) {
  double HW = t->HW, C = t->C;
  // qkv and output projections, q.k^T and probs.v over all heads
  return 2.0 * HW * C * 3 * C + 2.0 * HW * C * C + 2 * 2.0 * HW * HW * C;
}

// ---- ADM attention block: GN + core -----------------------------------------------------

void attn_block_setup(AttnBlock *t, int HW, int C, int NH, int G, AttnProbs probs_kept) {
  gn_unit_setup(&t->gn, HW, C, G);
  attn_core_setup(&t->core, HW, C, NH, probs_kept);
}

int attn_block_add_params(AttnBlock *t, UNetParams *p, const char *prefix) {
  char name[PARAM_NAME_LEN];
  snprintf(name, sizeof name, "%s.gn", prefix);
  int st = gn_unit_add_params(&t->gn, p, name);
  return st ? st : attn_core_add_params(&t->core, p, prefix);
}

void attn_block_plan(AttnBlock *t, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  gn_unit_plan(&t->gn, a, B, tmp_need);
  attn_core_plan(&t->core, a, B, tmp_need, op_need);
}

void attn_block_forward(AttnBlock *t, float *out, const float *x, const float *params, int B,
                        UNetScratch *s) {
  gn_unit_forward(&t->gn, s->norm, x, params, B);
  attn_core_forward(&t->core, out, s->norm, x, params, B, s);
}

// x: NULL in the bf16 plan (GN keeps its normalized input's bits).
void attn_block_backward(AttnBlock *t, float *dx, float *grads, const float *dout,
                         const float *x, const float *params, int B, UNetScratch *s) {
  float *dhn = s->t[2];
  zero_floats(dhn, (size_t)B * t->core.HW * t->core.C);
  // the qkv projection's input, GN(x) again: in bf16 products from GN's normalized input
  // rounded (kept, or formed from x), as GN's backward reads it
  int bf16 = t->core.bf != NULL;
  gn_unit_recompute_step(&t->gn, bf16, s->norm, x, params, B);
  attn_core_backward(&t->core, dhn, dx, grads, dout, mixed_input_f32(s->norm), params, B, s);
  gn_unit_backward_step(&t->gn, bf16, dx, grads, dhn, x, params, B);
}
