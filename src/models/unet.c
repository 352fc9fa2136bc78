// U-Net lifetime (create/free), parameter init, and the forward/backward passes over the
// step list built in unet_build.c.
#include "models/unet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "diffusion/fourier_features.h"
#include "ops/tensor_ops.h"

int stepnet_plan_arena(StepNet *u) {
  Arena measure;
  arena_init_measure(&measure);
  unet_plan(u, &measure, u->max_batch);
  if (measure.used != u->arena.capacity) {
    // The old arena goes first: nothing in it is needed after a re-plan, and a precision
    // switch (an evaluation during a bf16 run) must not hold both plans at once, or its
    // peak would be the sum of the two arenas, not the larger one.
    size_t was = u->arena.capacity;
    arena_free(&u->arena);
    if (arena_init_alloc(&u->arena, measure.used) != VDMC_OK) {
      int st = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the activation arena (%zu MB)",
                         measure.used * sizeof(float) >> 20);
      // the previous plan's size back, for the caller to plan its storage into again
      if (was && arena_init_alloc(&u->arena, was) != VDMC_OK) memset(&u->arena, 0, sizeof u->arena);
      return st;
    }
  }
  arena_reset(&u->arena);
  unet_plan(u, &u->arena, u->max_batch);
  if (u->arena.used != measure.used)
    return vdmc_fail(VDMC_ERR_INTERNAL, "model: arena plan changed between passes");
  u->B = 0;  // nothing saved is left for a backward
  return VDMC_OK;
}

int unet_alloc_arena(StepNet *u) {
  int st = stepnet_plan_arena(u);
  if (st) stepnet_free(u);
  return st;
}

int unet_create(StepNet *u, const UNetConfig *cfg, int max_batch) {
  memset(u, 0, sizeof *u);
  int st = unet_config_validate(cfg);
  if (st) return st;
  if (max_batch < 1) return vdmc_fail(VDMC_ERR_INPUT, "unet: max_batch must be >= 1, got %d", max_batch);
  u->cfg = *cfg;
  u->max_batch = max_batch;
  param_table_init(&u->params.table);
  if ((st = unet_build(u))) {
    stepnet_free(u);
    return st;
  }
  return unet_alloc_arena(u);
}

void stepnet_free(StepNet *u) {
  free(u->bf16.buf);
  free(u->bf16_params);
  arena_free(&u->arena);
  param_table_free(&u->params.table);
  free(u->params.init);
  free(u->steps);
  free(u->res);
  free(u->attn);
  free(u->conv);
  free(u->xfmr);
  memset(u, 0, sizeof *u);
}

size_t stepnet_num_params(const StepNet *u) { return param_table_numel(&u->params.table); }
size_t stepnet_param_floats(const StepNet *u) { return u->params.table.total; }

size_t stepnet_arena_bytes_per_image(const StepNet *u) {
  return u->arena.capacity * sizeof(float) / (size_t)u->max_batch;
}

double stepnet_step_flops(const StepNet *u, int k) {
  const UNetStep *s = &u->steps[k];
  switch (s->kind) {
    case UNET_STEP_CONV: return conv_unit_flops(&u->conv[s->block]);
    case UNET_STEP_RES: return res_block_flops(&u->res[s->block], u->embed.E);
    case UNET_STEP_ATTN: return attn_core_flops(&u->attn[s->block].core);
    case UNET_STEP_HEAD: return conv_unit_flops(&u->head.conv);
    case UNET_STEP_XFMR: return xfmr_block_flops(&u->xfmr[s->block], u->embed.E);
    case UNET_STEP_CONCAT: return 0;  // a copy
  }
  return 0;
}

double stepnet_flops_per_image(const StepNet *u) {
  double f = embed_flops(&u->embed);
  for (int k = 0; k < u->n_steps; k++) f += stepnet_step_flops(u, k);
  return f;
}

void stepnet_init_params(const StepNet *u, float *params, uint64_t seed) {
  unet_params_init(&u->params, params, seed);
}

static int check_inputs(const StepNet *u, const float *x, const float *lambda, const int *labels,
                        int B) {
  if (B < 1 || B > u->max_batch)
    return vdmc_fail(VDMC_ERR_INPUT, "stepnet_forward: batch %d outside [1, %d] (max_batch)", B,
                     u->max_batch);
  if (!u->arena.base)  // a re-plan that ran out of memory could not restore it
    return vdmc_fail(VDMC_ERR_MEMORY, "stepnet_forward: the model has no activation arena");
  if (!x || !lambda) return vdmc_fail(VDMC_ERR_INPUT, "stepnet_forward: x and lambda are required");
  int K = u->cfg.num_classes;
  if (K > 0 && !labels)
    return vdmc_fail(VDMC_ERR_INPUT, "stepnet_forward: labels required (num_classes = %d)", K);
  for (int b = 0; K > 0 && b < B; b++)
    if (labels[b] < 0 || labels[b] > K)
      return vdmc_fail(VDMC_ERR_INPUT, "stepnet_forward: label %d of example %d outside [0, %d]",
                       labels[b], b, K);
  return VDMC_OK;
}

int stepnet_forward(StepNet *u, const float *params, float *out, const float *x, const float *lambda,
                 const int *labels, int B, const DropoutKey *drop) {
  int st = check_inputs(u, x, lambda, labels, B);
  if (st) return st;
  params = stepnet_product_params(u, params);
  u->B = B;
  u->x = x;
  u->lambda = lambda;
  u->labels = labels;
  memset(&u->drop, 0, sizeof u->drop);
  u->use_drop = drop != NULL;
  if (drop) {
    u->drop = *drop;
    u->drop.p = u->cfg.dropout;
  }
  const DropoutKey *dk = u->use_drop ? &u->drop : NULL;
  UNetEmbed *e = &u->embed;
  embed_forward(e, lambda, labels, params, B);
  const float *h = x;
  int Cprev = u->cfg.in_channels;
  if (u->fourier) {  // VDM App. C: the first conv reads [z, sin, cos] channels
    size_t N = (size_t)B * u->cfg.resolution * u->cfg.resolution;
    fourier_forward(u->fourier, x, N, (size_t)Cprev, u->cfg.fourier_n_min, u->cfg.fourier_n_max);
    h = u->fourier;
    Cprev = unet_input_channels(&u->cfg);
  }
  for (int k = 0; k < u->n_steps; k++) {
    UNetStep *s = &u->steps[k];
    switch (s->kind) {
      case UNET_STEP_CONV:
        conv_unit_forward(&u->conv[s->block], s->out, h, params, B, &u->scratch);
        break;
      case UNET_STEP_RES:
        res_block_forward(&u->res[s->block], s->out, h, e->emb_act, e->E, params, B, dk,
                          &u->scratch);
        break;
      case UNET_STEP_ATTN:
        attn_block_forward(&u->attn[s->block], s->out, h, params, B, &u->scratch);
        break;
      case UNET_STEP_CONCAT:
        concat_channels_forward(s->out, h, u->steps[s->skip].out, (size_t)B * s->H * s->W, Cprev,
                                u->steps[s->skip].C);
        break;
      case UNET_STEP_HEAD:
        norm_act_conv_forward(&u->head, out, h, params, B, &u->scratch);
        break;
      case UNET_STEP_XFMR:
        xfmr_block_forward(&u->xfmr[s->block], s->out, h, e->emb_act, e->E, params, B, dk,
                           &u->scratch);
        break;
    }
    h = s->out;
    Cprev = s->C;
  }
  return VDMC_OK;
}

int stepnet_backward(StepNet *u, const float *params, float *grads, const float *dout, float *dx,
                  float *dlambda) {
  int B = u->B;
  if (B < 1) return vdmc_fail(VDMC_ERR_INTERNAL, "stepnet_backward called before stepnet_forward");
  if (u->precision == PREC_BF16) {
    // the weights forward multiplied by: the same rounded copy
    if (u->bf16_params_of != params)
      return vdmc_fail(VDMC_ERR_INTERNAL, "stepnet_backward: params differ from the last forward's");
    params = u->bf16_params;
  }
  UNetEmbed *e = &u->embed;
  UNetScratch *sc = &u->scratch;
  const DropoutKey *dk = u->use_drop ? &u->drop : NULL;
  memset(e->demb_act, 0, (size_t)B * e->E * sizeof(float));
  for (int k = 0; k < u->n_steps; k++) {
    UNetStep *s = &u->steps[k];
    if (s->is_skip_source) zero_floats(s->grad, (size_t)B * s->H * s->W * s->C);
  }
  size_t npix = (size_t)B * u->cfg.resolution * u->cfg.resolution;
  float *dfourier = u->fourier && dx ? u->dfourier : NULL;  // d[z, sin, cos] when dx is wanted
  if (dfourier) memset(dfourier, 0, npix * unet_input_channels(&u->cfg) * sizeof(float));
  for (int k = u->n_steps - 1; k >= 0; k--) {
    UNetStep *s = &u->steps[k];
    const float *g = k == u->n_steps - 1 ? dout : s->grad;
    const UNetStep *prev = k > 0 ? &u->steps[k - 1] : NULL;
    // the input, when this backward reads it (else its values are gone: unet_plan)
    const float *in = !s->reads_input ? NULL : prev ? prev->out : u->fourier ? u->fourier : u->x;
    float *din = prev ? prev->grad : u->fourier ? dfourier : dx;
    if (prev && !prev->is_skip_source)
      zero_floats(din, (size_t)B * prev->H * prev->W * prev->C);
    switch (s->kind) {
      case UNET_STEP_CONV:
        conv_unit_backward(&u->conv[s->block], din, grads, g, mixed_input_f32(in), params, B,
                           sc->t[0], sc->op);
        break;
      case UNET_STEP_RES:
        res_block_backward(&u->res[s->block], din, e->demb_act, grads, g, in, e->emb_act, e->E,
                           params, B, dk, sc);
        break;
      case UNET_STEP_ATTN:
        attn_block_backward(&u->attn[s->block], din, grads, g, in, params, B, sc);
        break;
      case UNET_STEP_CONCAT:
        concat_channels_backward(din, u->steps[s->skip].grad, g, (size_t)B * s->H * s->W,
                                 prev->C, u->steps[s->skip].C);
        break;
      case UNET_STEP_HEAD:
        norm_act_conv_backward(&u->head, din, grads, g, in, params, B, sc);
        break;
      case UNET_STEP_XFMR:
        xfmr_block_backward(&u->xfmr[s->block], din, e->demb_act, grads, g, in, e->emb_act, e->E,
                            params, B, dk, sc);
        break;
    }
    if (u->grad_ready) u->grad_ready(u->grad_ready_ctx, s->param_begin);
  }
  if (dfourier)
    fourier_backward(dx, dfourier, u->x, npix, (size_t)u->cfg.in_channels, u->cfg.fourier_n_min,
                     u->cfg.fourier_n_max);
  embed_backward(e, grads, dlambda, u->labels, params, B);
  if (u->grad_ready) u->grad_ready(u->grad_ready_ctx, 0);
  return VDMC_OK;
}
