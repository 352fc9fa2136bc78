// Conditioning embedding: emb = lin2(SiLU(lin1(sinusoid(lambda_scale * lambda)))) + class_row,
// and emb_act = SiLU(emb), the input of every res block's scale-shift projection.
// Legend in unet_blocks.h.
#include <string.h>

#include "models/unet_blocks.h"
#include "ops/activation.h"
#include "ops/embedding.h"
#include "ops/bf16_products.h"
#include "ops/tensor_ops.h"

#define UNET_MAX_PERIOD 10000.0

void embed_setup(UNetEmbed *e, int E0, int E, int K, double lambda_scale) {
  memset(e, 0, sizeof *e);
  e->E0 = E0;
  e->E = E;
  e->K = K;
  e->lambda_scale = lambda_scale;
}

int embed_add_params(UNetEmbed *e, UNetParams *p) {
  size_t w1[2] = {(size_t)e->E0, (size_t)e->E}, w2[2] = {(size_t)e->E, (size_t)e->E};
  size_t b[1] = {(size_t)e->E}, tab[2] = {(size_t)e->K + 1, (size_t)e->E};
  size_t E0 = (size_t)e->E0, E = (size_t)e->E;
  int st = unet_params_add(p, "embed.lin1", "weight", 2, w1, UNET_INIT_FANIN, E0, &e->lin1_w);
  if (!st) st = unet_params_add(p, "embed.lin1", "bias", 1, b, UNET_INIT_FANIN, E0, &e->lin1_b);
  if (!st) st = unet_params_add(p, "embed.lin2", "weight", 2, w2, UNET_INIT_FANIN, E, &e->lin2_w);
  if (!st) st = unet_params_add(p, "embed.lin2", "bias", 1, b, UNET_INIT_FANIN, E, &e->lin2_b);
  if (!st && e->K > 0)
    st = unet_params_add(p, "embed.class", "table", 2, tab, UNET_INIT_NORMAL, 0, &e->table);
  return st;
}

void embed_plan(UNetEmbed *e, Arena *a, int B) {
  size_t nE = (size_t)B * e->E, nE0 = (size_t)B * e->E0;
  e->lam = arena_floats(a, (size_t)B);
  e->sin = arena_floats(a, nE0);
  e->t1 = arena_floats(a, nE);
  e->t1a = arena_floats(a, nE);
  e->emb = arena_floats(a, nE);
  e->emb_act = arena_floats(a, nE);
  e->demb_act = arena_floats(a, nE);
  e->d1 = arena_floats(a, nE);
  e->d2 = arena_floats(a, nE);
  e->dsin = arena_floats(a, nE0);
}

void embed_forward(UNetEmbed *e, const float *lambda, const int *labels, const float *params,
                   int B) {
  size_t nE = (size_t)B * e->E;
  for (int b = 0; b < B; b++) e->lam[b] = (float)(e->lambda_scale * lambda[b]);
  sinusoidal_embedding_forward(e->sin, e->lam, B, e->E0, UNET_MAX_PERIOD);
  linear_forward_mixed(e->bf, e->t1, e->sin, params + e->lin1_w, params + e->lin1_b, B, e->E0,
                       e->E);
  silu_forward(e->t1a, e->t1, nE);
  linear_forward_mixed(e->bf, e->emb, e->t1a, params + e->lin2_w, params + e->lin2_b, B, e->E,
                       e->E);
  if (e->K > 0) {
    class_embedding_forward(e->d1, labels, params + e->table, B, e->E);
    accumulate(e->emb, e->d1, nE);
  }
  silu_forward(e->emb_act, e->emb, nE);
}

void embed_backward(UNetEmbed *e, float *grads, float *dlambda, const int *labels,
                    const float *params, int B) {
  size_t nE = (size_t)B * e->E, bytes = nE * sizeof(float);
  float *demb = e->d1, *dt1a = e->d2;
  memset(demb, 0, bytes);
  silu_backward(demb, e->demb_act, e->emb, nE);
  if (e->K > 0) class_embedding_backward(grads + e->table, demb, labels, B, e->E);
  memset(dt1a, 0, bytes);
  linear_backward_mixed(e->bf, dt1a, grads + e->lin2_w, grads + e->lin2_b, demb,
                        mixed_input_f32(e->t1a), params + e->lin2_w, B, e->E, e->E);
  float *dt1 = e->d1;
  memset(dt1, 0, bytes);
  silu_backward(dt1, dt1a, e->t1, nE);
  float *dsin = dlambda ? e->dsin : NULL;
  if (dsin) memset(dsin, 0, (size_t)B * e->E0 * sizeof *dsin);
  linear_backward_mixed(e->bf, dsin, grads + e->lin1_w, grads + e->lin1_b, dt1,
                        mixed_input_f32(e->sin), params + e->lin1_w, B, e->E0, e->E);
  if (!dlambda) return;
  float *dlam = e->d2;
  memset(dlam, 0, (size_t)B * sizeof *dlam);
  sinusoidal_embedding_backward(dlam, dsin, e->lam, B, e->E0, UNET_MAX_PERIOD);
  for (int b = 0; b < B; b++) dlambda[b] += (float)(e->lambda_scale * dlam[b]);
}

double embed_flops(const UNetEmbed *e) {
  return 2.0 * e->E0 * e->E + 2.0 * e->E * e->E;
}
