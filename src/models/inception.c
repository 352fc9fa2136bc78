// The FID Inception-v3 architecture and its forward (inception.h). The architecture is
// written once, as the forward: each step names its BasicConv2d as the PyTorch state
// dict does. The same code runs in two modes: planning (inception_plan: records every
// conv's shape in net->conv and the size each activation buffer needs, touching no data)
// and running (takes the convs back in the same order, checking the names).
// Legend: B batch, H/W/C an activation's size; buffers X0/X1 hold block inputs and
// outputs, T0/T1 a branch's intermediates.
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "models/inception_internal.h"
#include "ops/bilinear.h"
#include "ops/conv2d.h"
#include "ops/linear.h"
#include "ops/parallel.h"
#include "ops/pool.h"
#include "ops/relu.h"

enum { X0 = INCEPTION_X0, X1 = INCEPTION_X1, T0 = INCEPTION_T0, T1 = INCEPTION_T1 };

typedef struct {
  Inception *net;
  int B;
  int planning;  // 1: record shapes and buffer sizes only
  int cursor;    // next conv
  int status;
} Run;

// An activation (B,H,W,C) in buffer `buf`.
typedef struct {
  int buf, H, W, C;
} Act;

static float *data(const Run *r, Act a) { return r->net->buf[a.buf]; }

static size_t numel(const Run *r, Act a) { return (size_t)r->B * (size_t)a.H * (size_t)a.W * (size_t)a.C; }

// A new activation in buffer buf; planning records the per-image size it needs.
static Act output(Run *r, int buf, int H, int W, int C) {
  Act a = {buf, H, W, C};
  size_t n = (size_t)H * (size_t)W * (size_t)C;
  if (r->planning && n > r->net->buf_floats[buf]) r->net->buf_floats[buf] = n;
  return a;
}

static int other(int buf) { return buf == X0 ? X1 : X0; }

// BasicConv2d "block.name" (or "name" for the stem): conv with folded BatchNorm, ReLU.
static Act conv(Run *r, const char *block, const char *name, Act in, int buf, int cout, int kh,
                int kw, int stride, int pad_h, int pad_w) {
  Inception *net = r->net;
  Conv2dDims d = {r->B, in.H, in.W, in.C, cout, kh, kw, stride, pad_h, pad_w, CONV_ALGO_AUTO};
  Act out = output(r, buf, conv2d_out_h(&d), conv2d_out_w(&d), cout);
  if (r->status) return out;
  char full[sizeof net->conv[0].name];
  snprintf(full, sizeof full, "%s%s%s", block ? block : "", block ? "." : "", name);
  if (r->planning) {
    if (net->n_convs == INCEPTION_CONVS) {
      r->status = vdmc_fail(VDMC_ERR_INTERNAL, "inception: more than %d convs", INCEPTION_CONVS);
      return out;
    }
    InceptionConv *c = &net->conv[net->n_convs++];
    *c = (InceptionConv){.h = in.H, .w = in.W, .cin = in.C, .cout = cout, .kh = kh, .kw = kw,
                         .stride = stride, .pad_h = pad_h, .pad_w = pad_w};
    snprintf(c->name, sizeof c->name, "%s", full);
    size_t s = conv2d_scratch_floats(&d);
    if (s > net->scratch_floats) net->scratch_floats = s;
    return out;
  }
  const InceptionConv *c = &net->conv[r->cursor++];
  if (strcmp(c->name, full) != 0 || c->cin != in.C || c->h != in.H || c->w != in.W) {
    r->status = vdmc_fail(VDMC_ERR_INTERNAL, "inception: conv %s where %s was planned", full, c->name);
    return out;
  }
  conv2d_forward(data(r, out), data(r, in), net->params + c->wt, net->params + c->bias, &d,
                 net->scratch);
  relu_forward(data(r, out), data(r, out), numel(r, out));
  return out;
}

static Act conv1x1(Run *r, const char *block, const char *name, Act in, int buf, int cout) {
  return conv(r, block, name, in, buf, cout, 1, 1, 1, 0, 0);
}

// Square k x k kernel with stride and padding on all sides.
static Act convk(Run *r, const char *block, const char *name, Act in, int buf, int cout, int k,
                 int stride, int pad) {
  return conv(r, block, name, in, buf, cout, k, k, stride, pad, pad);
}

// kh x kw "same" kernel (1x7, 7x1, 1x3, 3x1), stride 1.
static Act convr(Run *r, const char *block, const char *name, Act in, int buf, int cout, int kh,
                 int kw) {
  return conv(r, block, name, in, buf, cout, kh, kw, 1, kh / 2, kw / 2);
}

typedef enum { POOL_MAX, POOL_AVG } PoolKind;

static Act pool(Run *r, PoolKind kind, Act in, int buf, int k, int stride, int pad) {
  Pool2dDims d = {r->B, in.H, in.W, in.C, k, stride, pad};
  Act out = output(r, buf, pool2d_out_h(&d), pool2d_out_w(&d), in.C);
  if (r->planning || r->status) return out;
  if (kind == POOL_MAX) maxpool2d_forward(data(r, out), data(r, in), &d);
  else avgpool2d_forward(data(r, out), data(r, in), &d);
  return out;
}

typedef struct {
  float *dst;
  const float *src;
  size_t cs, cd, off;  // source channels, destination channels, channel offset
} PlaceArgs;

static void place_range(void *ctx, size_t lo, size_t hi) {
  const PlaceArgs *a = ctx;
  for (size_t p = lo; p < hi; p++)
    memcpy(a->dst + p * a->cd + a->off, a->src + p * a->cs, a->cs * sizeof(float));
}

// Channels [off, off + src.C) of dst = src (a branch's result into the block's concat).
static void place(Run *r, Act src, Act dst, int off) {
  if (r->planning || r->status) return;
  size_t P = (size_t)r->B * (size_t)src.H * (size_t)src.W;
  PlaceArgs a = {data(r, dst), data(r, src), (size_t)src.C, (size_t)dst.C, (size_t)off};
  par_for(P, 1, P * (size_t)src.C, place_range, &a);
}

// ---- blocks (torchvision's InceptionA..E with pytorch-fid's FID patches) ------------
// FIDInceptionA: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool(3, 1, 1, no pad count)-1x1.
static Act block_a(Run *r, const char *b, Act x, int pool_features) {
  Act out = output(r, other(x.buf), x.H, x.W, 224 + pool_features), t;
  t = conv1x1(r, b, "branch1x1", x, T0, 64);
  place(r, t, out, 0);
  t = conv1x1(r, b, "branch5x5_1", x, T0, 48);
  t = convk(r, b, "branch5x5_2", t, T1, 64, 5, 1, 2);
  place(r, t, out, 64);
  t = conv1x1(r, b, "branch3x3dbl_1", x, T0, 64);
  t = convk(r, b, "branch3x3dbl_2", t, T1, 96, 3, 1, 1);
  t = convk(r, b, "branch3x3dbl_3", t, T0, 96, 3, 1, 1);
  place(r, t, out, 128);
  t = pool(r, POOL_AVG, x, T0, 3, 1, 1);
  t = conv1x1(r, b, "branch_pool", t, T1, pool_features);
  place(r, t, out, 224);
  return out;
}

// InceptionB (Mixed_6a): 3x3/2 | 1x1-3x3-3x3/2 | maxpool 3/2.
static Act block_b(Run *r, const char *b, Act x) {
  Act out = output(r, other(x.buf), (x.H - 3) / 2 + 1, (x.W - 3) / 2 + 1, 480 + x.C), t;
  t = convk(r, b, "branch3x3", x, T0, 384, 3, 2, 0);
  place(r, t, out, 0);
  t = conv1x1(r, b, "branch3x3dbl_1", x, T0, 64);
  t = convk(r, b, "branch3x3dbl_2", t, T1, 96, 3, 1, 1);
  t = convk(r, b, "branch3x3dbl_3", t, T0, 96, 3, 2, 0);
  place(r, t, out, 384);
  t = pool(r, POOL_MAX, x, T0, 3, 2, 0);
  place(r, t, out, 480);
  return out;
}

// FIDInceptionC: 1x1 | 1x1-1x7-7x1 | 1x1-7x1-1x7-7x1-1x7 | avgpool(no pad count)-1x1.
static Act block_c(Run *r, const char *b, Act x, int c7) {
  Act out = output(r, other(x.buf), x.H, x.W, 768), t;
  t = conv1x1(r, b, "branch1x1", x, T0, 192);
  place(r, t, out, 0);
  t = conv1x1(r, b, "branch7x7_1", x, T0, c7);
  t = convr(r, b, "branch7x7_2", t, T1, c7, 1, 7);
  t = convr(r, b, "branch7x7_3", t, T0, 192, 7, 1);
  place(r, t, out, 192);
  t = conv1x1(r, b, "branch7x7dbl_1", x, T0, c7);
  t = convr(r, b, "branch7x7dbl_2", t, T1, c7, 7, 1);
  t = convr(r, b, "branch7x7dbl_3", t, T0, c7, 1, 7);
  t = convr(r, b, "branch7x7dbl_4", t, T1, c7, 7, 1);
  t = convr(r, b, "branch7x7dbl_5", t, T0, 192, 1, 7);
  place(r, t, out, 384);
  t = pool(r, POOL_AVG, x, T0, 3, 1, 1);
  t = conv1x1(r, b, "branch_pool", t, T1, 192);
  place(r, t, out, 576);
  return out;
}

// InceptionD (Mixed_7a): 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool 3/2.
static Act block_d(Run *r, const char *b, Act x) {
  Act out = output(r, other(x.buf), (x.H - 3) / 2 + 1, (x.W - 3) / 2 + 1, 512 + x.C), t;
  t = conv1x1(r, b, "branch3x3_1", x, T0, 192);
  t = convk(r, b, "branch3x3_2", t, T1, 320, 3, 2, 0);
  place(r, t, out, 0);
  t = conv1x1(r, b, "branch7x7x3_1", x, T0, 192);
  t = convr(r, b, "branch7x7x3_2", t, T1, 192, 1, 7);
  t = convr(r, b, "branch7x7x3_3", t, T0, 192, 7, 1);
  t = convk(r, b, "branch7x7x3_4", t, T1, 192, 3, 2, 0);
  place(r, t, out, 320);
  t = pool(r, POOL_MAX, x, T0, 3, 2, 0);
  place(r, t, out, 512);
  return out;
}

// FIDInceptionE_1 (pool_kind POOL_AVG, no pad count) and FIDInceptionE_2 (POOL_MAX, the
// TF graph's max pool): 1x1 | 1x1-(1x3, 3x1) | 1x1-3x3-(1x3, 3x1) | pool 3/1-1x1.
static Act block_e(Run *r, const char *b, Act x, PoolKind pool_kind) {
  Act out = output(r, other(x.buf), x.H, x.W, 2048), t, u;
  t = conv1x1(r, b, "branch1x1", x, T0, 320);
  place(r, t, out, 0);
  t = conv1x1(r, b, "branch3x3_1", x, T0, 384);
  u = convr(r, b, "branch3x3_2a", t, T1, 384, 1, 3);
  place(r, u, out, 320);
  u = convr(r, b, "branch3x3_2b", t, T1, 384, 3, 1);
  place(r, u, out, 704);
  t = conv1x1(r, b, "branch3x3dbl_1", x, T0, 448);
  t = convk(r, b, "branch3x3dbl_2", t, T1, 384, 3, 1, 1);
  u = convr(r, b, "branch3x3dbl_3a", t, T0, 384, 1, 3);
  place(r, u, out, 1088);
  u = convr(r, b, "branch3x3dbl_3b", t, T0, 384, 3, 1);
  place(r, u, out, 1472);
  t = pool(r, pool_kind, x, T0, 3, 1, 1);
  t = conv1x1(r, b, "branch_pool", t, T1, 192);
  place(r, t, out, 1856);
  return out;
}

// Network input (B,299,299,3) in X0 -> Mixed_7c output (B,8,8,2048).
static Act network(Run *r) {
  Act x = output(r, X0, INCEPTION_SIZE, INCEPTION_SIZE, 3);
  x = convk(r, NULL, "Conv2d_1a_3x3", x, X1, 32, 3, 2, 0);
  x = convk(r, NULL, "Conv2d_2a_3x3", x, X0, 32, 3, 1, 0);
  x = convk(r, NULL, "Conv2d_2b_3x3", x, X1, 64, 3, 1, 1);
  x = pool(r, POOL_MAX, x, X0, 3, 2, 0);
  x = conv1x1(r, NULL, "Conv2d_3b_1x1", x, X1, 80);
  x = convk(r, NULL, "Conv2d_4a_3x3", x, X0, 192, 3, 1, 0);
  x = pool(r, POOL_MAX, x, X1, 3, 2, 0);
  x = block_a(r, "Mixed_5b", x, 32);
  x = block_a(r, "Mixed_5c", x, 64);
  x = block_a(r, "Mixed_5d", x, 64);
  x = block_b(r, "Mixed_6a", x);
  x = block_c(r, "Mixed_6b", x, 128);
  x = block_c(r, "Mixed_6c", x, 160);
  x = block_c(r, "Mixed_6d", x, 160);
  x = block_c(r, "Mixed_6e", x, 192);
  x = block_d(r, "Mixed_7a", x);
  x = block_e(r, "Mixed_7b", x, POOL_AVG);
  return block_e(r, "Mixed_7c", x, POOL_MAX);
}

int inception_plan(Inception *net) {
  Run r = {net, net->max_batch, 1, 0, VDMC_OK};
  net->n_convs = 0;
  memset(net->buf_floats, 0, sizeof net->buf_floats);
  net->scratch_floats = 0;
  // The resize writes (B,299,299,C <= 3) into T0 before the normalized copy into X0.
  output(&r, T0, INCEPTION_SIZE, INCEPTION_SIZE, 3);
  Act top = network(&r);
  if (!r.status && (net->n_convs != INCEPTION_CONVS || top.C != INCEPTION_FEATURES))
    r.status = vdmc_fail(VDMC_ERR_INTERNAL, "inception: planned %d convs and %d features", net->n_convs, top.C);
  return r.status;
}

// ---- input: uint8 -> [0,1] -> 299x299 -> [-1,1], 3 channels --------------------------
typedef struct {
  float *dst;        // (P, 3)
  const float *src;  // (P, C)
  size_t C;
} NormArgs;

static void normalize_range(void *ctx, size_t lo, size_t hi) {
  const NormArgs *a = ctx;
  for (size_t p = lo; p < hi; p++)
    for (size_t c = 0; c < 3; c++) a->dst[p * 3 + c] = 2.0f * a->src[p * a->C + c % a->C] - 1.0f;
}

static int check_input(const Inception *net, const uint8_t *images, int B, int H, int W, int C) {
  if (!net || !net->params)
    return vdmc_fail(VDMC_ERR_INPUT, "inception: the network is not loaded (inception_load first)");
  if (!images) return vdmc_fail(VDMC_ERR_INPUT, "inception: images is NULL");
  if (C != 1 && C != 3)
    return vdmc_fail(VDMC_ERR_INPUT, "inception: images have %d channels; expected 1 (grayscale) or 3 (RGB)", C);
  if (H < 1 || W < 1) return vdmc_fail(VDMC_ERR_INPUT, "inception: image size %dx%d; expected >= 1x1", H, W);
  if (B < 1 || B > net->max_batch)
    return vdmc_fail(VDMC_ERR_INPUT, "inception: batch %d outside 1..%d (the max_batch it was loaded for)", B,
                     net->max_batch);
  return VDMC_OK;
}

int inception_forward_u8(Inception *net, const uint8_t *images, int B, int H, int W, int C,
                         float *pool3, float *logits) {
  int st = check_input(net, images, B, H, W, C);
  if (st) return st;
  BilinearDims d = {B, H, W, C, INCEPTION_SIZE, INCEPTION_SIZE};
  bilinear_forward_u8(net->buf[T0], images, &d);
  size_t P = (size_t)B * INCEPTION_SIZE * INCEPTION_SIZE;
  NormArgs na = {net->buf[X0], net->buf[T0], (size_t)C};
  par_for(P, 1, 3 * P, normalize_range, &na);
  Run r = {net, B, 0, 0, VDMC_OK};
  Act top = network(&r);
  if (r.status) return r.status;
  global_avgpool_forward(net->feat, data(&r, top), B, top.H * top.W, top.C);
  if (pool3) memcpy(pool3, net->feat, (size_t)B * INCEPTION_FEATURES * sizeof(float));
  if (logits)
    linear_forward(logits, net->feat, net->params + net->fc_w, net->params + net->fc_b, B,
                   INCEPTION_FEATURES, INCEPTION_CLASSES);
  return VDMC_OK;
}
