// Inception-v3 weights (inception.h): the tensor list, BatchNorm folding, the
// deterministic test weights and the activation arena (the HDF5 weights file is
// io/inception_file.c).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/param_table.h"
#include "core/status.h"
#include "models/inception_internal.h"

static const char *BN_PART[4] = {"bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"};

int inception_tensor_name(const Inception *net, int i, char *name, size_t size, size_t *shape) {
  if (i >= 5 * net->n_convs) {
    int bias = i > 5 * net->n_convs;
    snprintf(name, size, "%s", bias ? "fc.bias" : "fc.weight");
    shape[0] = bias ? INCEPTION_CLASSES : INCEPTION_FEATURES;
    shape[1] = INCEPTION_CLASSES;
    return bias ? 1 : 2;
  }
  const InceptionConv *c = &net->conv[i / 5];
  if (i % 5 == 0) {
    snprintf(name, size, "%s.conv.weight", c->name);
    shape[0] = (size_t)c->kh, shape[1] = (size_t)c->kw, shape[2] = (size_t)c->cin, shape[3] = (size_t)c->cout;
    return 4;
  }
  snprintf(name, size, "%s.%s", c->name, BN_PART[i % 5 - 1]);
  shape[0] = (size_t)c->cout;
  return 1;
}

static size_t shape_numel(int ndim, const size_t *shape) {
  size_t n = 1;
  for (int k = 0; k < ndim; k++) n *= shape[k];
  return n;
}

// Offsets of every folded tensor in the flat buffer (64-byte aligned).
static size_t layout_params(Inception *net) {
  size_t off = 0;
  for (int i = 0; i < net->n_convs; i++) {
    InceptionConv *c = &net->conv[i];
    c->wt = off;
    off += (size_t)c->kh * c->kw * c->cin * c->cout;
    off = (off + PARAM_ALIGN_FLOATS - 1) / PARAM_ALIGN_FLOATS * PARAM_ALIGN_FLOATS;
    c->bias = off;
    off = (off + (size_t)c->cout + PARAM_ALIGN_FLOATS - 1) / PARAM_ALIGN_FLOATS * PARAM_ALIGN_FLOATS;
  }
  net->fc_w = off;
  off += (size_t)INCEPTION_FEATURES * INCEPTION_CLASSES;
  net->fc_b = off;
  return off + INCEPTION_CLASSES;
}

// BatchNorm(eps) after a bias-free conv as the conv's own weight and bias:
// s = gamma / sqrt(var + eps), W' = W s (per output channel), b' = beta - mean s.
static void fold_bn(float *w /* (K, cout) in place */, float *bias, const float *bn /* (4, cout) */,
                    size_t K, int cout) {
  for (int co = 0; co < cout; co++) {
    const float *g = bn, *beta = bn + cout, *mean = bn + 2 * cout, *var = bn + 3 * cout;
    double s = (double)g[co] / sqrt((double)var[co] + INCEPTION_BN_EPS);
    for (size_t k = 0; k < K; k++) w[k * (size_t)cout + co] = (float)(w[k * (size_t)cout + co] * s);
    bias[co] = (float)(beta[co] - mean[co] * s);
  }
}

// Takes every tensor from fetch in canonical order into params (folding BatchNorms).
static int fetch_weights(Inception *net, InceptionTensorFn fetch, void *ctx, uint32_t *crc) {
  int cmax = 0;
  for (int i = 0; i < net->n_convs; i++) cmax = net->conv[i].cout > cmax ? net->conv[i].cout : cmax;
  float *bn = malloc(4 * (size_t)cmax * sizeof *bn);
  if (!bn) return vdmc_fail(VDMC_ERR_MEMORY, "inception: out of memory");
  uLong c32 = crc32_z(0L, Z_NULL, 0);
  int st = VDMC_OK;
  for (int i = 0; i < INCEPTION_TENSORS && !st; i++) {
    char name[64];
    size_t shape[4];
    int ndim = inception_tensor_name(net, i, name, sizeof name, shape);
    size_t n = shape_numel(ndim, shape);
    const InceptionConv *c = i < 5 * net->n_convs ? &net->conv[i / 5] : NULL;
    float *dst = !c ? net->params + (i == 5 * net->n_convs ? net->fc_w : net->fc_b)
                 : i % 5 == 0 ? net->params + c->wt
                              : bn + (size_t)(i % 5 - 1) * (size_t)c->cout;
    st = fetch(ctx, i, name, ndim, shape, dst);
    if (st) break;
    c32 = crc32_z(c32, (const Bytef *)dst, n * sizeof(float));
    if (c && i % 5 == 4) {
      size_t K = (size_t)c->kh * c->kw * c->cin;
      fold_bn(net->params + c->wt, net->params + c->bias, bn, K, c->cout);
    }
  }
  free(bn);
  *crc = (uint32_t)c32;
  return st;
}

static int plan_arena(Inception *net) {
  size_t B = (size_t)net->max_batch;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0) arena_init_measure(&net->arena);
    else if (arena_init_alloc(&net->arena, net->arena.used))
      return vdmc_fail(VDMC_ERR_MEMORY, "inception: out of memory for %.1f MB of activations (max_batch %d)",
                       net->arena.used * 4.0 / 1e6, net->max_batch);
    for (int k = 0; k < INCEPTION_NBUF; k++) net->buf[k] = arena_floats(&net->arena, B * net->buf_floats[k]);
    net->scratch = arena_floats(&net->arena, net->scratch_floats);
    net->feat = arena_floats(&net->arena, B * INCEPTION_FEATURES);
  }
  return VDMC_OK;
}

int inception_init(Inception *net, int max_batch, InceptionTensorFn fetch, void *ctx, uint32_t *crc) {
  memset(net, 0, sizeof *net);
  if (max_batch < 1) return vdmc_fail(VDMC_ERR_INPUT, "inception: max_batch %d; expected >= 1", max_batch);
  net->max_batch = max_batch;
  int st = inception_plan(net);
  if (!st) {
    net->n_params = layout_params(net);
    net->params = vdmc_alloc_floats(net->n_params);
    if (!net->params) st = VDMC_ERR_MEMORY;
  }
  if (!st) st = fetch_weights(net, fetch, ctx, crc);
  if (!st) st = plan_arena(net);
  if (st) inception_free(net);
  return st;
}

void inception_free(Inception *net) {
  vdmc_free_floats(net->params);
  arena_free(&net->arena);
  memset(net, 0, sizeof *net);
}

// ---- deterministic test weights -----------------------------------------------------
static uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85EBCA6Bu;
  x ^= x >> 13;
  x *= 0xC2B2AE35u;
  x ^= x >> 16;
  return x;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

int inception_test_tensor(void *ctx, int i, const char *name, int ndim, const size_t *shape, float *dst) {
  (void)ctx;
  size_t n = shape_numel(ndim, shape);
  float scale = 0.25f, shift = 0.0f;  // bn.bias, bn.running_mean, fc.bias
  if (ends_with(name, ".conv.weight")) scale = (float)sqrt(24.0 / (double)(shape[0] * shape[1] * shape[2]));
  else if (ends_with(name, "bn.weight") || ends_with(name, "bn.running_var")) scale = 0.5f, shift = 1.0f;
  else if (strcmp(name, "fc.weight") == 0) scale = (float)sqrt(12.0 / INCEPTION_FEATURES);
  const uint32_t key = mix32((uint32_t)i + 0x165667B1u);
  for (size_t j = 0; j < n; j++) {
    uint32_t h = mix32((uint32_t)j * 0x9E3779B1u + key);
    float u = (float)(h >> 8) * (1.0f / 16777216.0f) - 0.5f;
    dst[j] = (float)((double)u * scale + shift);  // exact in double: one rounding, no FMA question
  }
  return VDMC_OK;
}

double inception_flops_per_image(const Inception *net) {
  double f = 2.0 * INCEPTION_FEATURES * INCEPTION_CLASSES;
  for (int i = 0; i < net->n_convs; i++) {
    const InceptionConv *c = &net->conv[i];
    int ho = (c->h + 2 * c->pad_h - c->kh) / c->stride + 1, wo = (c->w + 2 * c->pad_w - c->kw) / c->stride + 1;
    f += 2.0 * ho * wo * c->kh * c->kw * c->cin * c->cout;
  }
  return f;
}
