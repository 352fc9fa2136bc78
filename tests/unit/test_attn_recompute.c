// model.attention_probs chooses whether attention's probabilities P are saved by forward
// or recomputed in backward (ops/attention.c; docs/precision.md, "Activations saved for
// backward"). It trades memory for time and must change no bit:
//  1. The op: the recomputed P (formed a few (b, head) pairs per pass, in forward and
//     again in backward) is the saved P bit for bit, and out and dqkv are the same in
//     both settings; a batch cut into passes gives the bits of its examples one by one.
//  2. The U-Net (attention block) and the U-ViT (transformer attention half), built once
//     with each setting, same weights, in fp32 and in bf16 with dropout: the output, every
//     parameter gradient and the input gradient of a whole step are the same bits; and
//     for every attention core, forward's code on the saved qkv gives the saved output
//     `att` again (so qkv is what forward read and nothing overwrote it; in bf16 both
//     are stored as bf16, so `att` is compared rounded), and the core's
//     own backward (attn_core_backward, with bf16's rounding of q, k and v) recomputes
//     the P that the saving model keeps, bit for bit.
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
#include "ops/bf16.h"
#include "ops/bf16_products.h"

static int same_bits(const float *a, const float *b, size_t n) {
  return !memcmp(a, b, n * sizeof(float));
}

// Pairs per pass, from the scratch's documented size ((pairs per pass + 1) T^2).
static size_t pass_pairs(int B, int T, int C, int NH) {
  return attention_scratch_floats(B, T, C, NH, ATTN_KEPT_NONE) / ((size_t)T * T) - 1;
}

// Pairs in the last pass: the ones whose P the scratch holds after forward and backward.
static size_t last_pass_pairs(int B, int T, int C, int NH) {
  size_t pairs = (size_t)B * NH, per = pass_pairs(B, T, C, NH);
  return pairs - per * ((pairs - 1) / per);
}

// 1. B examples of NH heads (B * NH above one pass): recomputed against saved, and the
// recomputing op on the whole batch against it on each example alone.
static void check_op(int B, int T, int C, int NH, unsigned seed) {
  size_t n1 = (size_t)T * 3 * C, o1 = (size_t)T * C, nqkv = B * n1, nout = B * o1;
  size_t tt = (size_t)T * T, np = (size_t)B * NH * tt;
  float *qkv = malloc(nqkv * sizeof(float)), *dout = malloc(nout * sizeof(float));
  float *out = malloc(nout * sizeof(float)), *out1 = malloc(nout * sizeof(float));
  float *out_s = malloc(nout * sizeof(float)), *probs = malloc(np * sizeof(float));
  float *all_p = malloc(np * sizeof(float));
  float *dqkv = calloc(nqkv, sizeof(float)), *dqkv1 = calloc(nqkv, sizeof(float));
  float *dqkv_s = calloc(nqkv, sizeof(float));
  size_t sf = attention_scratch_floats(B, T, C, NH, ATTN_KEPT_NONE);
  CHECK(sf > attention_scratch_floats(B, T, C, NH, ATTN_KEPT_F32),
        "op B%d NH%d: saving P needs no pass of it in the scratch", B, NH);
  float *scratch = malloc(sf * sizeof(float)), *fwd_p = malloc(sf * sizeof(float));
  fill_uniform(qkv, nqkv, seed, -2, 2);
  fill_uniform(dout, nout, seed + 1, -1, 1);
  CHECK((size_t)B * NH > pass_pairs(B, T, C, NH), "op B%d NH%d: one pass only, no cut tested",
        B, NH);
  attention_forward(out_s, (AttnSavedProbs){probs, NULL}, qkv, B, T, C, NH, scratch);
  attention_backward(dqkv_s, dout, qkv, (AttnSavedProbs){probs, NULL}, B, T, C, NH, scratch);
  attention_forward(out, ATTN_PROBS_NONE, qkv, B, T, C, NH, scratch);
  size_t last = last_pass_pairs(B, T, C, NH), first_last = (size_t)B * NH - last;
  memcpy(fwd_p, scratch, last * tt * sizeof(float));
  CHECK(same_bits(fwd_p, probs + first_last * tt, last * tt),
        "op B%d T%d NH%d: forward's recomputed P is not the saved P", B, T, NH);
  attention_probs(all_p, qkv, B, T, C, NH);
  CHECK(same_bits(all_p, probs, np), "op B%d T%d NH%d: attention_probs is not the saved P", B, T,
        NH);
  attention_backward(dqkv, dout, qkv, ATTN_PROBS_NONE, B, T, C, NH, scratch);
  CHECK(same_bits(scratch, fwd_p, last * tt), "op B%d T%d NH%d: backward's P is not forward's", B,
        T, NH);
  CHECK(same_bits(out, out_s, nout), "op B%d T%d NH%d: out differs, P recomputed vs saved", B, T,
        NH);
  CHECK(same_bits(dqkv, dqkv_s, nqkv), "op B%d T%d NH%d: dqkv differs, P recomputed vs saved", B,
        T, NH);
  for (int b = 0; b < B; b++) {
    attention_forward(out1 + b * o1, ATTN_PROBS_NONE, qkv + b * n1, 1, T, C, NH, scratch);
    attention_backward(dqkv1 + b * n1, dout + b * o1, qkv + b * n1, ATTN_PROBS_NONE, 1, T, C, NH, scratch);
  }
  CHECK(same_bits(out, out1, nout), "op B%d T%d NH%d: out depends on the passes", B, T, NH);
  CHECK(same_bits(dqkv, dqkv1, nqkv), "op B%d T%d NH%d: dqkv depends on the passes", B, T, NH);
  free(qkv), free(dout), free(out), free(out1), free(out_s), free(probs), free(all_p);
  free(dqkv), free(dqkv1), free(dqkv_s), free(scratch), free(fwd_p);
}

enum { BATCH = 3 };

// The two builds of one small model: [ATTN_PROBS_SAVED] and [ATTN_PROBS_RECOMPUTED].
typedef struct {
  const char *model, *prec;
  StepNet *net[ATTN_PROBS_COUNT];
  const float *params;  // what the cores read (bf16: the rounded copy of the recomputing net)
  int checked;
  float *out, *fwd_p, *scratch, *dhn, *dx, *grads, *dout, *hn, *qkv, *att;
} AttnCheck;

// The saving core's P as floats: its float32 buffer, or its bf16 bits (the bf16 plan)
// widened into buf (n).
static const float *kept_probs(const AttnCore *t, float *buf, size_t n) {
  if (t->probs.f32) return t->probs.f32;
  widen_bf16(buf, t->probs.bf16, n);
  return buf;
}

// 2. One attention core of the recomputing model after its forward, against the same core
// of the saving model.
static void check_core(AttnCheck *c, AttnCore *t, const AttnCore *saved) {
  int B = BATCH, T = t->HW, C = t->C, NH = t->NH;
  size_t n = (size_t)B * T * C, tt = (size_t)T * T;
  size_t last = last_pass_pairs(B, T, C, NH);
  CHECK(!t->probs.f32 && !t->probs.bf16 && (saved->probs.f32 || saved->probs.bf16),
        "%s core %d: P kept by the wrong build", c->model, c->checked);
  CHECK(!saved->probs.bf16 == !t->att.bf16, "%s %s core %d: P not stored like the operands",
        c->model, c->prec, c->checked);
  CHECK(last == (size_t)B * NH, "%s: %d pairs do not fit one pass: P checked in part", c->model,
        B * NH);
  saved_operand_floats(&t->qkv, c->qkv, 3 * n);
  attention_forward_mixed(t->bf, c->out, ATTN_PROBS_NONE, c->qkv, B, T, C, NH, c->scratch);
  if (t->att.bf16) round_to_bf16(c->out, c->out, n);  // what the bf16 plan stores
  saved_operand_floats(&t->att, c->att, n);
  CHECK(same_bits(c->out, c->att, n), "%s %s core %d: forward again on the saved qkv is not "
        "forward's output", c->model, c->prec, c->checked);
  memcpy(c->fwd_p, c->scratch, last * tt * sizeof(float));
  memset(c->dhn, 0, n * sizeof(float));
  StepNet *u = c->net[ATTN_PROBS_RECOMPUTED];
  attn_core_backward(t, c->dhn, c->dx, c->grads, c->dout, mixed_input_f32(c->hn), c->params, B,
                     &u->scratch);
  CHECK(same_bits(u->scratch.op, c->fwd_p, last * tt), "%s %s core %d: backward's P is not "
        "forward's", c->model, c->prec, c->checked);
  float *kept = malloc(last * tt * sizeof *kept);
  CHECK(same_bits(u->scratch.op, kept_probs(saved, kept, last * tt), last * tt), "%s %s core %d: "
        "the recomputed P is not the saved P", c->model, c->prec, c->checked);
  free(kept);
  c->checked++;
}

static void check_cores(AttnCheck *c) {
  StepNet *r = c->net[ATTN_PROBS_RECOMPUTED], *s = c->net[ATTN_PROBS_SAVED];
  c->checked = 0;
  int expect = r->n_attn;
  for (int i = 0; i < r->n_attn; i++) check_core(c, &r->attn[i].core, &s->attn[i].core);
  for (int i = 0; i < r->n_xfmr; i++)
    if (r->xfmr[i].kind == XFMR_ATTN) check_core(c, &r->xfmr[i].attn, &s->xfmr[i].attn), expect++;
  CHECK(c->checked == expect && expect > 0, "%s: checked %d attention cores of %d", c->model,
        c->checked, expect);
}

static void check_model(SmallModel m) {
  const char *model = small_model_name(m);
  StepNet nets[ATTN_PROBS_COUNT];
  for (int w = 0; w < ATTN_PROBS_COUNT; w++) {
    int st = small_model_create(&nets[w], m, 0.1f, (AttnProbs)w, BATCH);
    CHECK(st == VDMC_OK, "%s, P %s: %s", model, attn_probs_name((AttnProbs)w),
          vdmc_error_message());
    if (st) {
      for (int k = 0; k < w; k++) stepnet_free(&nets[k]);
      return;
    }
  }
  StepNet *s = &nets[ATTN_PROBS_SAVED], *r = &nets[ATTN_PROBS_RECOMPUTED];
  CHECK(r->arena.capacity < s->arena.capacity, "%s: recomputing P does not shrink the arena "
        "(%zu floats, saved %zu)", model, r->arena.capacity, s->arena.capacity);
  size_t P = stepnet_param_floats(s), HW = (size_t)s->cfg.resolution * s->cfg.resolution;
  CHECK(P == stepnet_param_floats(r), "%s: the two builds have different parameters", model);
  size_t n_in = BATCH * HW * s->cfg.in_channels, n_out = BATCH * HW * s->cfg.out_channels;
  size_t big = (size_t)BATCH * r->max_tensor * 3;  // any (B, T, 3C) of the model
  float *params = vdmc_alloc_floats(P), *x = malloc(n_in * sizeof(float));
  float *y[ATTN_PROBS_COUNT], *g[ATTN_PROBS_COUNT], *dx[ATTN_PROBS_COUNT];
  float *dy = malloc(n_out * sizeof(float));
  for (int w = 0; w < ATTN_PROBS_COUNT; w++) {
    y[w] = malloc(n_out * sizeof(float));
    g[w] = vdmc_alloc_floats(P);
    dx[w] = malloc(n_in * sizeof(float));
  }
  float lambda[BATCH] = {-3.0f, 0.5f, 6.0f};
  int labels[BATCH] = {0, 2, 3};
  // random weights everywhere (no zero-init projection upstream), so no core sees
  // all-equal scores and every gradient path carries signal
  fill_uniform(params, P, 12, -0.3f, 0.3f);
  fill_uniform(x, n_in, 13, -1, 1);
  fill_uniform(dy, n_out, 16, -1, 1);
  AttnCheck c = {.model = model, .net = {s, r}, .out = malloc(big * sizeof(float)),
                 .fwd_p = malloc(r->max_op_scratch * sizeof(float)),
                 .scratch = malloc(r->max_op_scratch * sizeof(float)),
                 .dhn = malloc(big * sizeof(float)), .dx = calloc(big, sizeof(float)),
                 .grads = calloc(P, sizeof(float)), .dout = malloc(big * sizeof(float)),
                 .hn = malloc(big * sizeof(float)), .qkv = malloc(big * sizeof(float)),
                 .att = malloc(big * sizeof(float))};
  fill_uniform(c.dout, big, 14, -1, 1);
  fill_uniform(c.hn, big, 15, -1, 1);
  DropoutKey drop = {.seed = 5, .step = 1, .p = 0.1f};
  for (int prec = 0; prec < 2; prec++) {
    c.prec = prec ? "bf16" : "fp32";
    // a whole step in each build: the same bits
    for (int w = 0; w < ATTN_PROBS_COUNT; w++) {
      StepNet *u = &nets[w];
      CHECK(stepnet_set_precision(u, prec ? PREC_BF16 : PREC_FP32) == VDMC_OK, "%s: precision",
            model);
      memset(g[w], 0, P * sizeof(float));
      memset(dx[w], 0, n_in * sizeof(float));
      CHECK(stepnet_forward(u, params, y[w], x, lambda, labels, BATCH, &drop) == VDMC_OK,
            "%s: forward: %s", model, vdmc_error_message());
      CHECK(stepnet_backward(u, params, g[w], dy, dx[w], NULL) == VDMC_OK, "%s: backward: %s",
            model, vdmc_error_message());
    }
    CHECK(same_bits(y[0], y[1], n_out), "%s %s: output differs, P saved vs recomputed", model,
          c.prec);
    CHECK(same_bits(g[0], g[1], P), "%s %s: parameter gradients differ, P saved vs recomputed",
          model, c.prec);
    CHECK(same_bits(dx[0], dx[1], n_in), "%s %s: input gradient differs, P saved vs recomputed",
          model, c.prec);
    // forward again, then each core's P from the recomputing backward against the saved one
    for (int w = 0; w < ATTN_PROBS_COUNT; w++)
      CHECK(stepnet_forward(&nets[w], params, y[w], x, lambda, labels, BATCH, &drop) == VDMC_OK,
            "%s: forward: %s", model, vdmc_error_message());
    c.params = prec ? r->bf16_params : params;
    check_cores(&c);
  }
  free(c.out), free(c.fwd_p), free(c.scratch), free(c.dhn), free(c.dx), free(c.grads),
      free(c.dout), free(c.hn), free(c.qkv), free(c.att);
  for (int w = 0; w < ATTN_PROBS_COUNT; w++) {
    free(y[w]), vdmc_free_floats(g[w]), free(dx[w]);
    stepnet_free(&nets[w]);
  }
  vdmc_free_floats(params), free(x), free(dy);
}

int main(void) {
  check_op(3, 20, 16, 4, 1);  // 12 pairs: a full pass and a partial one
  check_op(9, 7, 8, 1, 3);    // one head: two full passes and one pair
  for (int m = 0; m < SMALL_MODEL_COUNT; m++) check_model((SmallModel)m);
  return check_finish("attn_recompute");
}
