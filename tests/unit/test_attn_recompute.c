// The attention probabilities are recomputed in backward instead of saved (ops/attention.c;
// docs/precision.md, "Activations saved for backward"): backward's P must be the one
// forward computed, bit for bit, or the step's gradients change.
//  1. The op: forward and backward form P a few (b, head) pairs per pass; a batch cut
//     into passes gives the bits of its examples one by one (out and dqkv), and
//     backward's P (the last pass's, left first in the scratch) is forward's.
//  2. In the U-Net (attention block) and the U-ViT (transformer attention half), after a
//     forward in fp32 and in bf16 (with dropout): for every attention core, forward's
//     code on the saved qkv gives the saved output `att` again, bit for bit (so qkv is
//     what forward read and nothing overwrote it), and the core's own backward
//     (attn_core_backward, with bf16's rounding of q, k and v) recomputes that P, bit
//     for bit.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "small_models.h"
#include "core/status.h"
#include "models/unet.h"
#include "models/unet_blocks.h"
#include "models/uvit.h"
#include "models/uvit_blocks.h"
#include "ops/attention.h"
#include "ops/bf16_products.h"

static int same_bits(const float *a, const float *b, size_t n) {
  return !memcmp(a, b, n * sizeof(float));
}

// Pairs per pass, from the scratch's documented size ((pairs per pass + 1) T^2).
static size_t pass_pairs(int B, int T, int C, int NH) {
  return attention_scratch_floats(B, T, C, NH) / ((size_t)T * T) - 1;
}

// Pairs in the last pass: the ones whose P the scratch holds after forward and backward.
static size_t last_pass_pairs(int B, int T, int C, int NH) {
  size_t pairs = (size_t)B * NH, per = pass_pairs(B, T, C, NH);
  return pairs - per * ((pairs - 1) / per);
}

// 1. B examples of NH heads (B * NH above one pass) against each example alone.
static void check_op(int B, int T, int C, int NH, unsigned seed) {
  size_t n1 = (size_t)T * 3 * C, o1 = (size_t)T * C, nqkv = B * n1, nout = B * o1;
  float *qkv = malloc(nqkv * sizeof(float)), *dout = malloc(nout * sizeof(float));
  float *out = malloc(nout * sizeof(float)), *out1 = malloc(nout * sizeof(float));
  float *dqkv = calloc(nqkv, sizeof(float)), *dqkv1 = calloc(nqkv, sizeof(float));
  size_t sf = attention_scratch_floats(B, T, C, NH), tt = (size_t)T * T;
  float *scratch = malloc(sf * sizeof(float)), *fwd_p = malloc(sf * sizeof(float));
  fill_uniform(qkv, nqkv, seed, -2, 2);
  fill_uniform(dout, nout, seed + 1, -1, 1);
  CHECK((size_t)B * NH > pass_pairs(B, T, C, NH), "op B%d NH%d: one pass only, no cut tested",
        B, NH);
  attention_forward(out, qkv, B, T, C, NH, scratch);
  size_t last = last_pass_pairs(B, T, C, NH);
  memcpy(fwd_p, scratch, last * tt * sizeof(float));
  attention_backward(dqkv, dout, qkv, B, T, C, NH, scratch);
  CHECK(same_bits(scratch, fwd_p, last * tt), "op B%d T%d NH%d: backward's P is not forward's", B,
        T, NH);
  for (int b = 0; b < B; b++) {
    attention_forward(out1 + b * o1, qkv + b * n1, 1, T, C, NH, scratch);
    attention_backward(dqkv1 + b * n1, dout + b * o1, qkv + b * n1, 1, T, C, NH, scratch);
  }
  CHECK(same_bits(out, out1, nout), "op B%d T%d NH%d: out depends on the passes", B, T, NH);
  CHECK(same_bits(dqkv, dqkv1, nqkv), "op B%d T%d NH%d: dqkv depends on the passes", B, T, NH);
  free(qkv), free(dout), free(out), free(out1), free(dqkv), free(dqkv1), free(scratch),
      free(fwd_p);
}

typedef struct {
  const char *model, *prec;
  StepNet *u;
  const float *params;
  int B, checked;
  float *out, *fwd_p, *scratch, *dhn, *dx, *grads, *dout, *hn;
} AttnCheck;

// 2. One attention core after the model's forward.
static void check_core(AttnCheck *c, AttnCore *t) {
  int B = c->B, T = t->HW, C = t->C, NH = t->NH;
  size_t n = (size_t)B * T * C, tt = (size_t)T * T;
  size_t last = last_pass_pairs(B, T, C, NH);
  CHECK(last == (size_t)B * NH, "%s: %d pairs do not fit one pass: P checked in part", c->model,
        B * NH);
  attention_forward_mixed(t->bf, c->out, t->qkv, B, T, C, NH, c->scratch);
  CHECK(same_bits(c->out, t->att, n), "%s %s core %d: forward again on the saved qkv is not "
        "forward's output", c->model, c->prec, c->checked);
  memcpy(c->fwd_p, c->scratch, last * tt * sizeof(float));
  memset(c->dhn, 0, n * sizeof(float));
  attn_core_backward(t, c->dhn, c->dx, c->grads, c->dout, c->hn, c->params, B, &c->u->scratch);
  CHECK(same_bits(c->u->scratch.op, c->fwd_p, last * tt), "%s %s core %d: backward's P is not "
        "forward's", c->model, c->prec, c->checked);
  c->checked++;
}

static void check_model(const char *model, StepNet *u) {
  enum { B = 3 };
  size_t P = stepnet_param_floats(u), HW = (size_t)u->cfg.resolution * u->cfg.resolution;
  size_t n_in = B * HW * u->cfg.in_channels, n_out = B * HW * u->cfg.out_channels;
  size_t big = (size_t)B * u->max_tensor * 3;  // any (B, T, 3C) of the model
  float *params = vdmc_alloc_floats(P), *x = malloc(n_in * sizeof(float));
  float *y = malloc(n_out * sizeof(float));
  float lambda[B] = {-3.0f, 0.5f, 6.0f};
  int labels[B] = {0, 2, 3};
  // random weights everywhere (no zero-init projection upstream), so no core sees
  // all-equal scores
  fill_uniform(params, P, 12, -0.3f, 0.3f);
  fill_uniform(x, n_in, 13, -1, 1);
  AttnCheck c = {.model = model, .u = u, .B = B, .out = malloc(big * sizeof(float)),
                 .fwd_p = malloc(u->max_op_scratch * sizeof(float)),
                 .scratch = malloc(u->max_op_scratch * sizeof(float)),
                 .dhn = malloc(big * sizeof(float)), .dx = calloc(big, sizeof(float)),
                 .grads = calloc(P, sizeof(float)), .dout = malloc(big * sizeof(float)),
                 .hn = malloc(big * sizeof(float))};
  fill_uniform(c.dout, big, 14, -1, 1);
  fill_uniform(c.hn, big, 15, -1, 1);
  DropoutKey drop = {.seed = 5, .step = 1, .p = 0.1f};
  for (int prec = 0; prec < 2; prec++) {
    CHECK(stepnet_set_precision(u, prec ? PREC_BF16 : PREC_FP32) == VDMC_OK, "%s: precision",
          model);
    CHECK(stepnet_forward(u, params, y, x, lambda, labels, B, &drop) == VDMC_OK,
          "%s: forward: %s", model, vdmc_error_message());
    c.prec = prec ? "bf16" : "fp32";
    c.params = prec ? u->bf16_params : params;
    c.checked = 0;
    int expect = u->n_attn;
    for (int i = 0; i < u->n_attn; i++) check_core(&c, &u->attn[i].core);
    for (int i = 0; i < u->n_xfmr; i++)
      if (u->xfmr[i].kind == XFMR_ATTN) check_core(&c, &u->xfmr[i].attn), expect++;
    CHECK(c.checked == expect && expect > 0, "%s: checked %d attention cores of %d", model,
          c.checked, expect);
  }
  CHECK(stepnet_set_precision(u, PREC_FP32) == VDMC_OK, "%s: back to fp32", model);
  free(c.out), free(c.fwd_p), free(c.scratch), free(c.dhn), free(c.dx), free(c.grads),
      free(c.dout), free(c.hn);
  vdmc_free_floats(params), free(x), free(y);
}

int main(void) {
  check_op(3, 20, 16, 4, 1);  // 12 pairs: a full pass and a partial one
  check_op(9, 7, 8, 1, 3);    // one head: two full passes and one pair
  for_each_small_model(3, 0.1f, check_model);
  return check_finish("attn_recompute");
}
