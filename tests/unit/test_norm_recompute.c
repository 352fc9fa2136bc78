// The norms' outputs are recomputed in backward instead of saved (models/unet_blocks.h
// UNetScratch.norm; docs/precision.md, "Activations saved for backward"): the recomputed
// output must be the one forward computed, bit for bit, or the step's gradients change.
//  1. groupnorm_from_stats / layernorm_from_stats against groupnorm_forward /
//     layernorm_forward on the same input, bit for bit, over the kernels' segment cases
//     (groups narrower and wider than a 512-channel segment, several blocks, a mean far
//     from zero) and LayerNorm with and without its affine parameters; GroupNorm with
//     SiLU applied as it writes against GroupNorm then SiLU; SiLU in place
//     (how forward and backward now make a NormActConv's conv input in the norm buffer)
//     against SiLU into another buffer (how forward saved it before), bit for bit.
//  2. In the U-Net and the U-ViT, after a forward in fp32 and in bf16 (with dropout): every
//     norm's recomputation (gn_unit_recompute, layernorm_from_stats) from the input
//     backward hands it and the statistics forward saved equals a fresh forward of that
//     norm on that input, output and statistics bit for bit; so the input is the one the
//     norm saw and nothing overwrote it between forward and backward.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "small_models.h"
#include "core/status.h"
#include "models/unet.h"
#include "models/uvit.h"
#include "ops/activation.h"
#include "ops/norm.h"

static int same_bits(const float *a, const float *b, size_t n) {
  return !memcmp(a, b, n * sizeof(float));
}

static void check_groupnorm(int B, int HW, int C, int G, float offset, unsigned seed) {
  size_t n = (size_t)B * HW * C;
  float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
  float *r = malloc(n * sizeof(float)), *w = malloc(C * sizeof(float)), *b = malloc(C * sizeof(float));
  float *mean = malloc((size_t)B * G * sizeof(float)), *rstd = malloc((size_t)B * G * sizeof(float));
  fill_uniform(x, n, seed, offset - 1, offset + 1);
  fill_uniform(w, C, seed + 1, 0.5f, 1.5f);
  fill_uniform(b, C, seed + 2, -0.5f, 0.5f);
  groupnorm_forward(y, mean, rstd, x, w, b, B, HW, C, G);
  memset(r, 0xff, n * sizeof(float));  // NaNs: every element must be written
  groupnorm_from_stats(r, x, w, b, mean, rstd, B, HW, C, G);
  CHECK(same_bits(r, y, n), "groupnorm_from_stats B%d HW%d C%d G%d offset %g: not forward's bits",
        B, HW, C, G, offset);
  // with SiLU applied as the output is written: the bits of GroupNorm then SiLU
  float *ms = malloc((size_t)B * G * sizeof(float)), *rs = malloc((size_t)B * G * sizeof(float));
  silu_forward(y, y, n);
  memset(r, 0xff, n * sizeof(float));
  groupnorm_silu_forward(r, ms, rs, x, w, b, B, HW, C, G);
  CHECK(same_bits(r, y, n) && same_bits(ms, mean, (size_t)B * G) && same_bits(rs, rstd, (size_t)B * G),
        "groupnorm_silu_forward B%d HW%d C%d G%d offset %g: not GroupNorm then SiLU", B, HW, C, G,
        offset);
  memset(r, 0xff, n * sizeof(float));
  groupnorm_silu_from_stats(r, x, w, b, mean, rstd, B, HW, C, G);
  CHECK(same_bits(r, y, n), "groupnorm_silu_from_stats B%d HW%d C%d G%d offset %g: not "
        "GroupNorm then SiLU", B, HW, C, G, offset);
  free(x), free(y), free(r), free(w), free(b), free(mean), free(rstd), free(ms), free(rs);
}

static void check_layernorm(int N, int C, int affine, unsigned seed) {
  size_t n = (size_t)N * C;
  float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
  float *r = malloc(n * sizeof(float)), *w = malloc(C * sizeof(float)), *b = malloc(C * sizeof(float));
  float *mean = malloc(N * sizeof(float)), *rstd = malloc(N * sizeof(float));
  fill_uniform(x, n, seed, -3, 3);
  fill_uniform(w, C, seed + 1, 0.5f, 1.5f);
  fill_uniform(b, C, seed + 2, -0.5f, 0.5f);
  const float *wp = affine ? w : NULL, *bp = affine ? b : NULL;
  layernorm_forward(y, mean, rstd, x, wp, bp, N, C);
  memset(r, 0xff, n * sizeof(float));
  layernorm_from_stats(r, x, wp, bp, mean, rstd, N, C);
  CHECK(same_bits(r, y, n), "layernorm_from_stats N%d C%d affine %d: not forward's bits", N, C,
        affine);
  free(x), free(y), free(r), free(w), free(b), free(mean), free(rstd);
}

static void check_silu_in_place(size_t n, unsigned seed) {
  float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
  fill_uniform(x, n, seed, -12, 12);
  silu_forward(y, x, n);
  silu_forward(x, x, n);
  CHECK(same_bits(x, y, n), "silu_forward in place over %zu floats: not the bits of out of place",
        n);
  free(x), free(y);
}

// One norm of a model: its recomputation from inp and the saved statistics against a
// fresh forward on inp (G groups over HW positions; a LayerNorm is G = 0: rows of C).
typedef struct {
  const char *model;
  int B, checked, differ, kept_normal;
  float *fresh, *again, *fmean, *frstd;  // (B, largest tensor), (B, largest group count)
} NormCheck;

static void check_gn(NormCheck *c, const GnUnit *g, const float *inp, const float *params) {
  size_t n = (size_t)c->B * g->HW * g->C, ng = (size_t)c->B * g->G;
  groupnorm_forward(c->fresh, c->fmean, c->frstd, inp, params + g->w, params + g->b, c->B, g->HW,
                    g->C, g->G);
  gn_unit_recompute(g, c->again, inp, params, c->B);
  c->checked++;
  if (!same_bits(c->fresh, c->again, n) || !same_bits(c->fmean, g->mean, ng) ||
      !same_bits(c->frstd, g->rstd, ng))
    c->differ++;
}

static void check_ln(NormCheck *c, const XfmrBlock *x, const float *inp) {
  int N = c->B * x->T;
  size_t n = (size_t)N * x->C;
  layernorm_forward(c->fresh, c->fmean, c->frstd, inp, NULL, NULL, N, x->C);
  layernorm_from_stats(c->again, inp, NULL, NULL, x->mean, x->rstd, N, x->C);
  c->checked++;
  if (!same_bits(c->fresh, c->again, n) || !same_bits(c->fmean, x->mean, (size_t)N) ||
      !same_bits(c->frstd, x->rstd, (size_t)N))
    c->differ++;
}

// A GroupNorm whose input the plan keeps is checked on it; the bf16 plan keeps no
// norm's input, only its normalized input's bits, which backward reads as they are
// (unit.bf16_models finds the step's bits those of the fp32 plan, which forms them from
// the input): counted in `kept_normal`.
static void check_or_count(NormCheck *c, const GnUnit *g, const float *inp, const float *params) {
  if (g->normal)
    c->kept_normal++;
  else
    check_gn(c, g, inp, params);
}

// Every norm of u after a forward, each with the input its backward hands it.
static void check_model_norms(NormCheck *c, const StepNet *u, const float *params) {
  for (int k = 0; k < u->n_steps; k++) {
    const UNetStep *s = &u->steps[k];
    const float *in = k > 0 ? u->steps[k - 1].out : u->fourier ? u->fourier : u->x;
    if (s->kind == UNET_STEP_RES) {
      const ResBlock *r = &u->res[s->block];
      check_or_count(c, &r->in.gn, in, params);
      check_or_count(c, &r->gn2, r->h2, params);
    }
    if (s->kind == UNET_STEP_ATTN) check_or_count(c, &u->attn[s->block].gn, in, params);
    if (s->kind == UNET_STEP_HEAD) check_or_count(c, &u->head.gn, in, params);
    if (s->kind == UNET_STEP_XFMR && u->xfmr[s->block].normal)
      c->kept_normal++;
    else if (s->kind == UNET_STEP_XFMR)
      check_ln(c, &u->xfmr[s->block], in);
  }
}

static void check_model(const char *model, StepNet *u) {
  enum { B = 3 };
  size_t P = stepnet_param_floats(u), HW = (size_t)u->cfg.resolution * u->cfg.resolution;
  size_t n_in = B * HW * u->cfg.in_channels, n_out = B * HW * u->cfg.out_channels;
  float *params = vdmc_alloc_floats(P), *noise = vdmc_alloc_floats(P);
  float *x = malloc(n_in * sizeof(float)), *out = malloc(n_out * sizeof(float));
  float lambda[B] = {-3.0f, 0.5f, 6.0f};
  int labels[B] = {0, 2, 3};
  stepnet_init_params(u, params, 11);
  fill_uniform(noise, P, 12, -0.2f, 0.2f);  // GroupNorm weights away from 1, biases from 0
  for (size_t i = 0; i < P; i++) params[i] += noise[i];
  fill_uniform(x, n_in, 13, -1, 1);
  size_t big = (size_t)B * u->max_tensor;
  NormCheck c = {.model = model, .B = B, .fresh = malloc(big * sizeof(float)),
                 .again = malloc(big * sizeof(float)), .fmean = malloc(big * sizeof(float)),
                 .frstd = malloc(big * sizeof(float))};
  DropoutKey drop = {.seed = 5, .step = 1, .p = 0.1f};
  for (int prec = 0; prec < 2; prec++) {
    CHECK(stepnet_set_precision(u, prec ? PREC_BF16 : PREC_FP32) == VDMC_OK, "%s: precision",
          model);
    CHECK(stepnet_forward(u, params, out, x, lambda, labels, B, &drop) == VDMC_OK, "%s: forward: %s",
          model, vdmc_error_message());
    c.checked = c.differ = c.kept_normal = 0;
    // what forward and backward read as parameters (bf16: the rounded copy; the norms'
    // affine parameters are copied unrounded)
    check_model_norms(&c, u, prec ? u->bf16_params : params);
    int expect = 2 * u->n_res + u->n_attn + 1 + u->n_xfmr;
    int gns = 2 * u->n_res + u->n_attn + 1 + u->n_xfmr;
    CHECK(c.checked + c.kept_normal == expect && c.kept_normal == (prec ? gns : 0),
          "%s: checked %d norms and %d kept as normalized bits, the model has %d", model,
          c.checked, c.kept_normal, expect);
    CHECK(c.differ == 0, "%s %s: %d of %d recomputed norm outputs differ from forward's", model,
          prec ? "bf16" : "fp32", c.differ, c.checked);
  }
  CHECK(stepnet_set_precision(u, PREC_FP32) == VDMC_OK, "%s: back to fp32", model);
  free(c.fresh), free(c.again), free(c.fmean), free(c.frstd);
  vdmc_free_floats(params), vdmc_free_floats(noise), free(x), free(out);
}

int main(void) {
  check_groupnorm(2, 5, 8, 4, 0, 1);        // narrow groups, one segment
  check_groupnorm(3, 7, 768, 32, 0, 2);     // two segments, several blocks
  check_groupnorm(2, 3, 1024, 2, 0, 3);     // groups of exactly one segment
  check_groupnorm(1, 4, 1536, 1, 0, 4);     // one group wider than a segment
  check_groupnorm(2, 6, 64, 8, 1e4f, 5);    // mean far from zero
  check_groupnorm(4, 1024, 64, 32, 0, 11);  // threaded (examples over the pool)
  check_layernorm(5, 37, 1, 6);
  check_layernorm(4, 768, 0, 7);
  check_layernorm(3, 5, 0, 8);
  check_silu_in_place(37, 9);
  check_silu_in_place(1 << 16, 10);  // threaded

  for_each_small_model(3, 0.1f, check_model);
  return check_finish("norm_recompute");
}
