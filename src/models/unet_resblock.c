// ADM residual block with scale-shift conditioning (use_scale_shift_norm=True):
//   h  = conv1(resample(SiLU(GN1(x))))
//   h  = conv2(dropout(SiLU(GN2(h) * (1 + scale) + shift))),  [scale|shift] = linear(SiLU(emb))
//   out = skip(resample(x)) + h,  skip = 1x1 conv when Ci != Co, else identity.
// Legend in unet_blocks.h.
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "models/unet_blocks.h"
#include "ops/tensor_ops.h"

void res_block_setup(ResBlock *r, UNetResample rs, int H, int W, int Ci, int Co, int G1, int G2,
                     uint32_t site) {
  memset(r, 0, sizeof *r);
  r->H = H;
  r->W = W;
  r->Ci = Ci;
  r->Co = Co;
  r->resample = rs;
  r->site = site;
  norm_act_conv_setup(&r->in, rs, H, W, Ci, Co, G1);
  r->Ho = r->in.conv.Ho;
  r->Wo = r->in.conv.Wo;
  gn_unit_setup(&r->gn2, r->Ho * r->Wo, Co, G2);
  emb_mod_setup(&r->mod, r->Ho * r->Wo, Co);
  conv_unit_setup(&r->conv2, UNET_RESAMPLE_NONE, r->Ho, r->Wo, Co, Co, 3, 1);
  r->has_skip = Ci != Co;
  if (r->has_skip) conv_unit_setup(&r->skip, UNET_RESAMPLE_NONE, r->Ho, r->Wo, Ci, Co, 1, 1);
}

int res_block_add_params(ResBlock *r, UNetParams *p, const char *prefix, int E) {
  char name[PARAM_NAME_LEN];
  int st = norm_act_conv_add_params(&r->in, p, prefix, "gn1", "conv1", 0);
  if (st) return st;
  snprintf(name, sizeof name, "%s.emb", prefix);
  if ((st = emb_mod_add_params(&r->mod, p, name, E))) return st;
  snprintf(name, sizeof name, "%s.gn2", prefix);
  if ((st = gn_unit_add_params(&r->gn2, p, name))) return st;
  snprintf(name, sizeof name, "%s.conv2", prefix);
  if ((st = conv_unit_add_params(&r->conv2, p, name, 1))) return st;
  if (!r->has_skip) return VDMC_OK;
  snprintf(name, sizeof name, "%s.skip", prefix);
  return conv_unit_add_params(&r->skip, p, name, 0);
}

void res_block_plan(ResBlock *r, Arena *a, int B, size_t *tmp_need, size_t *op_need) {
  size_t n_out = (size_t)B * r->Ho * r->Wo * r->Co;
  norm_act_conv_plan(&r->in, a, B, tmp_need, op_need);
  r->h2 = r->gn2.storage == PREC_BF16 ? NULL : arena_floats(a, n_out);
  gn_unit_plan(&r->gn2, a, B, tmp_need);
  // SiLU fused into the scale-shift: its output (after dropout) is conv2's input, a3
  emb_mod_plan(&r->mod, a, B, 1);
  conv_unit_plan(&r->conv2, a, B, tmp_need, op_need);
  if (r->resample) saved_operand_plan(&r->xr, a, (size_t)B * r->Ho * r->Wo * r->Ci, 2);
  if (r->has_skip) conv_unit_plan(&r->skip, a, B, tmp_need, op_need);
  unet_grow(tmp_need, (size_t)r->H * r->W * r->Ci);
  unet_grow(tmp_need, (size_t)r->Ho * r->Wo * (r->Ci > r->Co ? r->Ci : r->Co));
}

static DropoutKey site_key(const ResBlock *r, const DropoutKey *drop) {
  DropoutKey k = *drop;
  k.site += r->site;
  return k;
}

void res_block_forward(ResBlock *r, float *out, const float *x, const float *emb_act, int E,
                       const float *params, int B, const DropoutKey *drop, UNetScratch *s) {
  int HWo = r->Ho * r->Wo;
  size_t n_out = (size_t)B * HWo * r->Co;
  // the bf16 plan keeps GN2's normalized input in 16 bits, not h2 (t[2] is free until
  // the skip: the resampled conv1 input is in t[0], a3 goes to t[1])
  float *h2 = r->h2 ? r->h2 : s->t[2];
  norm_act_conv_forward(&r->in, h2, x, params, B, s);
  gn_unit_forward(&r->gn2, s->norm, h2, params, B);
  float *a3 = emb_mod_silu_forward(&r->mod, s->norm, emb_act, E, params, B, s);
  if (drop && drop->p > 0) {
    DropoutKey k = site_key(r, drop);
    dropout_forward(a3, a3, B, (size_t)HWo * r->Co, &k);
  }
  saved_operand_store(&r->mod.out, a3, n_out);
  conv_unit_forward(&r->conv2, out, a3, params, B, s);

  const float *src = x;
  if (r->resample) {
    float *xr = saved_operand_values(&r->xr, s);
    unet_resample_forward(r->resample, xr, x, B, r->H, r->W, r->Ci);
    saved_operand_store(&r->xr, xr, (size_t)B * r->Ho * r->Wo * r->Ci);
    src = xr;
  }
  if (r->has_skip) {
    conv_unit_forward(&r->skip, s->t[0], src, params, B, s);
    src = s->t[0];
  }
  accumulate(out, src, n_out);
}

// Gradient of the skip branch into dx.
static void skip_backward(ResBlock *r, float *dx, float *grads, const float *dout, const float *x,
                          const float *params, int B, UNetScratch *s) {
  size_t n_out = (size_t)B * r->Ho * r->Wo * r->Co;
  if (!r->has_skip) {
    if (r->resample)
      unet_resample_backward(r->resample, dx, dout, B, r->H, r->W, r->Ci);
    else
      accumulate(dx, dout, n_out);
    return;
  }
  if (!r->resample) {
    conv_unit_backward(&r->skip, dx, grads, dout, mixed_input_f32(x), params, B, NULL, s->op);
    return;
  }
  float *dxr = s->t[0];
  zero_floats(dxr, (size_t)B * r->Ho * r->Wo * r->Ci);
  conv_unit_backward(&r->skip, dxr, grads, dout, saved_operand_input(&r->xr), params, B, NULL,
                     s->op);
  unet_resample_backward(r->resample, dx, dxr, B, r->H, r->W, r->Ci);
}

void res_block_backward(ResBlock *r, float *dx, float *demb_act, float *grads, const float *dout,
                        const float *x, const float *emb_act, int E, const float *params, int B,
                        const DropoutKey *drop, UNetScratch *s) {
  int HWo = r->Ho * r->Wo;
  size_t n_out = (size_t)B * HWo * r->Co;
  skip_backward(r, dx, grads, dout, x, params, B, s);

  float *da = s->t[0], *spare = s->t[2];
  // GN2's output again, the scale-shift's input (in s->norm until emb_mod_silu_backward):
  // bf16 products make it from GN2's normalized input rounded to bf16, the bits the bf16
  // plan kept or formed from h2 (the same values)
  gn_unit_recompute_step(&r->gn2, r->bf != NULL, s->norm, r->h2, params, B);
  // conv2's input a3: fp32 reads the saved one; bf16 products make it again from GN2's
  // output, as forward did, in t[1] (free until dh2)
  MixedInput a3 = r->bf ? mixed_input_f32(s->t[1]) : saved_operand_input(&r->mod.out);
  if (r->bf) {
    emb_mod_silu_recompute(&r->mod, s->t[1], s->norm, B);
    if (drop && drop->p > 0) {
      DropoutKey k = site_key(r, drop);
      dropout_forward(s->t[1], s->t[1], B, (size_t)HWo * r->Co, &k);
    }
  }
  zero_floats(da, n_out);
  conv_unit_backward(&r->conv2, da, grads, dout, a3, params, B, NULL, s->op);
  if (drop && drop->p > 0) {
    DropoutKey k = site_key(r, drop);
    dropout_backward_inplace(da, B, (size_t)HWo * r->Co, &k);
  }
  float *dh2n = spare;
  zero_floats(dh2n, n_out);
  emb_mod_silu_backward(&r->mod, dh2n, demb_act, grads, da, s->norm, emb_act, E, params, B, s);
  float *dh2 = s->t[1];  // not t[0] or t[2]: norm_act_conv_backward uses those
  zero_floats(dh2, n_out);
  gn_unit_backward_step(&r->gn2, r->bf != NULL, dh2, grads, dh2n, r->h2, params, B);
  norm_act_conv_backward(&r->in, dx, grads, dh2, x, params, B, s);
}

double res_block_flops(const ResBlock *r, int E) {
  double f = conv_unit_flops(&r->in.conv) + conv_unit_flops(&r->conv2) + emb_mod_flops(&r->mod, E);
  return r->has_skip ? f + conv_unit_flops(&r->skip) : f;
}
