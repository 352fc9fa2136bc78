// The precision of the U-Net's / U-ViT's products: one rounded-operand buffer
// (ops/bf16_products.h) sized for the largest product at max_batch, every block that
// multiplies pointed at it, the copy of the parameters whose product weights are
// rounded once per optimizer step, and the arena planned with the activations saved only
// as product operands in the products' precision (SavedOperand). docs/precision.md says
// what runs in which precision.
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "models/unet.h"
#include "ops/tensor_ops.h"

// One walk over every product of the model: the rounded-operand floats it needs at
// batch B (need), the buffer its blocks point at (bf), and, when params is set, its
// weights rounded to bf16 in place there (params: the flat layout of the table).
typedef struct {
  int B, E;
  size_t need;
  const Bf16Operands *bf;
  float *params;  // (table.total) or NULL
} ProductVisit;

static void round_weight(const ProductVisit *v, size_t offset, size_t n) {
  if (v->params) round_to_bf16(v->params + offset, v->params + offset, n);
}

static void conv_visit(ConvUnit *c, ProductVisit *v) {
  unet_grow(&v->need, conv_unit_mixed_floats(c, v->B));
  round_weight(v, c->w, (size_t)c->k * c->k * c->Cin * c->Cout);
  c->bf = v->bf;
}

static void emb_mod_visit(EmbMod *m, ProductVisit *v) {
  unet_grow(&v->need, linear_mixed_floats(v->B, v->E, 2 * m->C));
  round_weight(v, m->w, (size_t)v->E * 2 * m->C);
  m->bf = v->bf;
}

static void attn_core_visit(AttnCore *t, ProductVisit *v) {
  int N = v->B * t->HW;
  size_t C = (size_t)t->C;
  unet_grow(&v->need, linear_mixed_floats(N, t->C, 3 * t->C));
  unet_grow(&v->need, linear_mixed_floats(N, t->C, t->C));
  unet_grow(&v->need, attention_mixed_floats(v->B, t->HW, t->C));
  round_weight(v, t->qkv_w, C * 3 * C);
  round_weight(v, t->proj_w, C * C);
  t->bf = v->bf;
}

static void xfmr_visit(XfmrBlock *x, ProductVisit *v) {
  emb_mod_visit(&x->mod, v);
  if (x->kind == XFMR_ATTN) attn_core_visit(&x->attn, v);
  if (x->kind == XFMR_MLP) {
    unet_grow(&v->need, linear_mixed_floats(v->B * x->T, x->C, x->F));
    unet_grow(&v->need, linear_mixed_floats(v->B * x->T, x->F, x->C));
    round_weight(v, x->fc1_w, (size_t)x->C * x->F);
    round_weight(v, x->fc2_w, (size_t)x->F * x->C);
  }
  x->bf = v->bf;
}

// Visits every block; returns the floats the largest product needs.
static size_t visit_products(StepNet *u, const Bf16Operands *bf, float *params) {
  ProductVisit v = {.B = u->max_batch, .E = u->embed.E, .need = 0, .bf = bf, .params = params};
  UNetEmbed *e = &u->embed;
  unet_grow(&v.need, linear_mixed_floats(v.B, e->E0, e->E));
  unet_grow(&v.need, linear_mixed_floats(v.B, e->E, e->E));
  round_weight(&v, e->lin1_w, (size_t)e->E0 * e->E);
  round_weight(&v, e->lin2_w, (size_t)e->E * e->E);
  e->bf = bf;
  // conv[0], the stem, reads the network's input z = alpha x + sigma eps: its products
  // stay fp32 (docs/precision.md, "The stem in fp32")
  u->conv[0].bf = NULL;
  for (int i = 1; i < u->n_conv; i++) conv_visit(&u->conv[i], &v);
  conv_visit(&u->head.conv, &v);
  for (int i = 0; i < u->n_res; i++) {
    ResBlock *r = &u->res[i];
    conv_visit(&r->in.conv, &v);
    conv_visit(&r->conv2, &v);
    if (r->has_skip) conv_visit(&r->skip, &v);
    emb_mod_visit(&r->mod, &v);
    r->bf = bf;
  }
  for (int i = 0; i < u->n_attn; i++) attn_core_visit(&u->attn[i].core, &v);
  for (int i = 0; i < u->n_xfmr; i++) xfmr_visit(&u->xfmr[i], &v);
  return v.need;
}

int stepnet_set_precision(StepNet *u, Precision p) {
  // fp32 products need fp32 storage first: a failure leaves u as it was
  int st = p == PREC_FP32 ? stepnet_plan_storage(u, PREC_FP32) : VDMC_OK;
  if (st) return st;
  u->precision = PREC_FP32;
  u->bf16_params_of = NULL;
  size_t need = visit_products(u, NULL, NULL);
  if (p == PREC_FP32) return VDMC_OK;
  // Allocated at the first switch to bf16 and kept through switches to fp32 and back
  // (an evaluation during training runs in fp32): freed by stepnet_free.
  size_t total = u->params.table.total;
  if (!u->bf16.buf) u->bf16.buf = malloc(need * sizeof(float));
  if (!u->bf16_params) u->bf16_params = malloc(total * sizeof(float));
  if (!u->bf16.buf || !u->bf16_params)
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the bf16 operands and weights (%zu MB)",
                     (need + total) * sizeof(float) >> 20);
  u->bf16.floats = need;
  u->bf16.weights_rounded = 1;  // the blocks read u->bf16_params (stepnet_product_params)
  u->precision = PREC_BF16;
  visit_products(u, &u->bf16, NULL);
  return stepnet_plan_storage(u, PREC_BF16);  // a smaller plan: cannot fail
}

void stepnet_params_changed(StepNet *u) { u->bf16_params_of = NULL; }

const float *stepnet_product_params(StepNet *u, const float *params) {
  if (u->precision != PREC_BF16) return params;
  if (u->bf16_params_of != params) {
    copy_floats(u->bf16_params, params, u->params.table.total);
    visit_products(u, &u->bf16, u->bf16_params);
    u->bf16_params_of = params;
  }
  return u->bf16_params;
}

// The input of a NormActConv's conv: saved only when the conv resamples (the resampled
// rs); SiLU(GN(x)) itself is recomputed in backward.
static void norm_act_conv_operands(NormActConv *n, StepNetSavedVisit f, void *ctx) {
  if (n->conv.resample) f(ctx, &n->conv.rs, conv_unit_input_floats(&n->conv));
}

static void attn_core_operands(AttnCore *t, StepNetSavedVisit f, void *ctx) {
  size_t n = (size_t)t->HW * t->C;
  f(ctx, &t->qkv, 3 * n);  // attention's q, k, v: rounded in its forward and backward
  f(ctx, &t->att, n);      // the output projection's input
}

void stepnet_visit_operand_only(StepNet *u, StepNetSavedVisit f, void *ctx) {
  for (int i = 0; i < u->n_conv; i++)
    if (u->conv[i].resample) f(ctx, &u->conv[i].rs, conv_unit_input_floats(&u->conv[i]));
  norm_act_conv_operands(&u->head, f, ctx);
  for (int i = 0; i < u->n_res; i++) {
    ResBlock *r = &u->res[i];
    norm_act_conv_operands(&r->in, f, ctx);
    f(ctx, &r->mod.out, (size_t)r->Ho * r->Wo * r->Co);  // a3: conv2's input (after dropout)
    // the skip conv's input: the resampled xr; without resampling it is x, the block's
    // input, which GroupNorm's backward reads in fp32 (and without a skip conv xr is an
    // fp32 addend of forward)
    if (r->has_skip && r->resample) f(ctx, &r->xr, (size_t)r->Ho * r->Wo * r->Ci);
  }
  // (the attention block's hn, the qkv projection's input, is not saved: a GroupNorm
  // output, recomputed in backward)
  for (int i = 0; i < u->n_attn; i++) attn_core_operands(&u->attn[i].core, f, ctx);
  for (int i = 0; i < u->n_xfmr; i++) {
    XfmrBlock *x = &u->xfmr[i];
    f(ctx, &x->mod.out, (size_t)x->T * x->C);  // adaLN(x): qkv's or fc1's input
    if (x->kind == XFMR_ATTN) attn_core_operands(&x->attn, f, ctx);
    if (x->kind == XFMR_MLP) f(ctx, &x->g, (size_t)x->T * x->F);  // fc2's input
  }
}

void stepnet_visit_attn_cores(StepNet *u, StepNetAttnVisit f, void *ctx) {
  for (int i = 0; i < u->n_attn; i++) f(ctx, &u->attn[i].core);
  for (int i = 0; i < u->n_xfmr; i++)
    if (u->xfmr[i].kind == XFMR_ATTN) f(ctx, &u->xfmr[i].attn);
}

static void set_storage(void *ctx, SavedOperand *saved, size_t floats_per_example) {
  (void)floats_per_example;
  saved->storage = *(const Precision *)ctx;
}

// The saved product operands and the saved attention probabilities in `storage`: in a
// bf16 step P is a bf16 value as it is formed (ops/attention.h), so its bf16 bits are
// all a bf16 plan keeps of it, like an operand's; and the same of GELU's slope.
static void set_probs_storage(void *ctx, AttnCore *core) {
  core->probs_storage = *(const Precision *)ctx;
}

// A conv without resampling keeps its input's bf16 bits in the bf16 plan (ConvUnit.rs).
static void keep_conv_input(ConvUnit *c, Precision storage) {
  c->saves_input = !c->resample && storage == PREC_BF16;
  c->rs.storage = storage;
}

static void set_storage_all(StepNet *u, Precision storage) {
  stepnet_visit_operand_only(u, set_storage, &storage);
  stepnet_visit_attn_cores(u, set_probs_storage, &storage);
  // an MLP's GELU: in a bf16 step backward multiplies by its slope rounded to bf16
  // (ops/activation.h), whose bits are all a bf16 plan keeps of it
  // and a transformer half's LayerNorm, as the GroupNorms below
  for (int i = 0; i < u->n_xfmr; i++) u->xfmr[i].storage = storage;
  // every GroupNorm: in a bf16 step backward reads its normalized input rounded to bf16
  // (ops/norm.h), whose bits are all a bf16 plan keeps of the norm's input (a res
  // block's conv1 output, a step's input)
  u->head.gn.storage = storage;
  for (int i = 0; i < u->n_attn; i++) u->attn[i].gn.storage = storage;
  // a conv reading a step's input unresampled (but the stem, whose input is the
  // caller's): the bf16 plan keeps the input's bf16 bits, which is all its bf16 backward
  // reads, and no step keeps that input in float32 for it (unet_build.c)
  for (int i = 1; i < u->n_conv; i++) keep_conv_input(&u->conv[i], storage);
  // the scale-shifts' outputs (a res block's conv2 input, a transformer half's adaLN
  // output) are made again in a bf16 step's backward from the norm's rounded normalized
  // input: the bf16 plan keeps nothing of them
  for (int i = 0; i < u->n_xfmr; i++) u->xfmr[i].mod.out.recomputed = storage == PREC_BF16;
  for (int i = 0; i < u->n_res; i++) {
    ResBlock *r = &u->res[i];
    r->mod.out.recomputed = storage == PREC_BF16;
    r->in.gn.storage = r->gn2.storage = storage;
    if (r->has_skip && !r->resample) keep_conv_input(&r->skip, storage);
  }
}

int stepnet_plan_storage(StepNet *u, Precision storage) {
  if (storage == u->storage) return VDMC_OK;
  if (storage == PREC_BF16 && u->precision != PREC_BF16)
    return vdmc_fail(VDMC_ERR_INTERNAL, "model: bf16 storage of fp32 products' operands");
  Precision was = u->storage;
  u->storage = storage;  // the plan reads it (unet_plan)
  set_storage_all(u, storage);
  int st = stepnet_plan_arena(u);
  if (st) {  // the previous plan again, into the arena stepnet_plan_arena gave back
    u->storage = was;
    set_storage_all(u, was);
    stepnet_plan_arena(u);  // fails only when the arena could not be had back: forward refuses then
    st = VDMC_ERR_MEMORY;
  }
  return st;
}

static void add_floats(void *ctx, SavedOperand *saved, size_t floats_per_example) {
  (void)saved;
  *(size_t *)ctx += floats_per_example;
}

size_t stepnet_operand_only_floats(StepNet *u) {
  size_t n = 0;
  stepnet_visit_operand_only(u, add_floats, &n);
  return n;
}
