// The precision of the U-Net's / U-ViT's products: one rounded-operand buffer
// (ops/bf16_products.h) sized for the largest product at max_batch, and every block that
// multiplies pointed at it. docs/precision.md says what runs in which precision.
#include <stdlib.h>

#include "core/status.h"
#include "models/unet.h"

// Every product of the model, by block kind: its rounded-operand floats at batch B, and
// (when bf is set) the pointer to the buffer.
static void conv_visit(ConvUnit *c, int B, size_t *need, const Bf16Operands *bf) {
  unet_grow(need, conv_unit_mixed_floats(c, B));
  c->bf = bf;
}

static void emb_mod_visit(EmbMod *m, int B, int E, size_t *need, const Bf16Operands *bf) {
  unet_grow(need, linear_mixed_floats(B, E, 2 * m->C));
  m->bf = bf;
}

static void attn_core_visit(AttnCore *t, int B, size_t *need, const Bf16Operands *bf) {
  int N = B * t->HW;
  unet_grow(need, linear_mixed_floats(N, t->C, 3 * t->C));
  unet_grow(need, linear_mixed_floats(N, t->C, t->C));
  unet_grow(need, attention_mixed_floats(B, t->HW, t->C));
  t->bf = bf;
}

static void xfmr_visit(XfmrBlock *x, int B, int E, size_t *need, const Bf16Operands *bf) {
  emb_mod_visit(&x->mod, B, E, need, bf);
  if (x->kind == XFMR_ATTN) attn_core_visit(&x->attn, B, need, bf);
  if (x->kind == XFMR_MLP) unet_grow(need, linear_mixed_floats(B * x->T, x->C, x->F));
  if (x->kind == XFMR_MLP) unet_grow(need, linear_mixed_floats(B * x->T, x->F, x->C));
  x->bf = bf;
}

// Visits every block; returns the floats the largest product needs.
static size_t visit_products(StepNet *u, const Bf16Operands *bf) {
  int B = u->max_batch, E = u->embed.E;
  size_t need = 0;
  unet_grow(&need, linear_mixed_floats(B, u->embed.E0, E));
  unet_grow(&need, linear_mixed_floats(B, E, E));
  u->embed.bf = bf;
  for (int i = 0; i < u->n_conv; i++) conv_visit(&u->conv[i], B, &need, bf);
  conv_visit(&u->head.conv, B, &need, bf);
  for (int i = 0; i < u->n_res; i++) {
    ResBlock *r = &u->res[i];
    conv_visit(&r->in.conv, B, &need, bf);
    conv_visit(&r->conv2, B, &need, bf);
    if (r->has_skip) conv_visit(&r->skip, B, &need, bf);
    emb_mod_visit(&r->mod, B, E, &need, bf);
  }
  for (int i = 0; i < u->n_attn; i++) attn_core_visit(&u->attn[i].core, B, &need, bf);
  for (int i = 0; i < u->n_xfmr; i++) xfmr_visit(&u->xfmr[i], B, E, &need, bf);
  return need;
}

int stepnet_set_precision(StepNet *u, Precision p) {
  free(u->bf16.buf);
  u->bf16 = (Bf16Operands){NULL, 0};
  u->precision = PREC_FP32;
  size_t need = visit_products(u, NULL);
  if (p == PREC_FP32) return VDMC_OK;
  u->bf16.buf = malloc(need * sizeof(float));
  if (!u->bf16.buf)
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the bf16 operands (%zu MB)",
                     need * sizeof(float) >> 20);
  u->bf16.floats = need;
  u->precision = PREC_BF16;
  visit_products(u, &u->bf16);
  return VDMC_OK;
}
