// The Inception-v3 feature network's non-convolution ops: max pooling, average pooling
// without padded pixels, global average pooling, bilinear resize (float and uint8 input)
// and ReLU. For each: PyTorch parity of the output and the input gradient
// (tests/reference/gen_pool.py), central finite differences, the backward contract
// (accumulates, forward overwrites) and bit-identical results on 1 and 2 threads.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "opcheck.h"
#include "ops/bilinear.h"
#include "ops/parallel.h"
#include "ops/pool.h"
#include "ops/relu.h"

typedef enum { OP_MAXPOOL, OP_AVGPOOL, OP_GLOBAL, OP_BILINEAR, OP_RELU } OpKind;

typedef struct {
  OpKind kind;
  Pool2dDims pool;     // OP_MAXPOOL, OP_AVGPOOL; OP_GLOBAL uses B, H (= HW), C
  BilinearDims resize;  // OP_BILINEAR
  size_t n;            // OP_RELU
} OpCase;

static size_t in_numel(const OpCase *c) {
  switch (c->kind) {
    case OP_BILINEAR: return (size_t)c->resize.B * c->resize.H * c->resize.W * c->resize.C;
    case OP_RELU: return c->n;
    default: return (size_t)c->pool.B * c->pool.H * c->pool.W * c->pool.C;
  }
}

static size_t out_numel(const OpCase *c) {
  switch (c->kind) {
    case OP_BILINEAR: return (size_t)c->resize.B * c->resize.Ho * c->resize.Wo * c->resize.C;
    case OP_RELU: return c->n;
    case OP_GLOBAL: return (size_t)c->pool.B * c->pool.C;
    default: return (size_t)c->pool.B * pool2d_out_h(&c->pool) * pool2d_out_w(&c->pool) * c->pool.C;
  }
}

static void case_forward(void *p, float *out, float *const *in) {
  const OpCase *c = p;
  switch (c->kind) {
    case OP_MAXPOOL: maxpool2d_forward(out, in[0], &c->pool); break;
    case OP_AVGPOOL: avgpool2d_forward(out, in[0], &c->pool); break;
    case OP_GLOBAL: global_avgpool_forward(out, in[0], c->pool.B, c->pool.H, c->pool.C); break;
    case OP_BILINEAR: bilinear_forward(out, in[0], &c->resize); break;
    case OP_RELU: relu_forward(out, in[0], c->n); break;
  }
}

static void case_backward(void *p, float *const *g, const float *dout, float *const *in) {
  const OpCase *c = p;
  if (!g[0]) return;
  switch (c->kind) {
    case OP_MAXPOOL: maxpool2d_backward(g[0], dout, in[0], &c->pool); break;
    case OP_AVGPOOL: avgpool2d_backward(g[0], dout, &c->pool); break;
    case OP_GLOBAL: global_avgpool_backward(g[0], dout, c->pool.B, c->pool.H, c->pool.C); break;
    case OP_BILINEAR: bilinear_backward(g[0], dout, &c->resize); break;
    case OP_RELU: {  // relu_backward reads the forward output
      float *y = malloc(c->n * sizeof *y);
      relu_forward(y, in[0], c->n);
      relu_backward(g[0], dout, y, c->n);
      free(y);
    } break;
  }
}

static OpCase case_from_dims(OpKind kind, const int *v) {
  OpCase c = {.kind = kind};
  if (kind == OP_BILINEAR) c.resize = (BilinearDims){v[0], v[1], v[2], v[3], v[4], v[5]};
  else if (kind == OP_RELU) c.n = (size_t)v[0];
  else if (kind == OP_GLOBAL) c.pool = (Pool2dDims){v[0], v[1], 1, v[2], 1, 1, 0};
  else c.pool = (Pool2dDims){v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
  return c;
}

static int dims_count(OpKind kind) {
  return kind == OP_BILINEAR ? 6 : kind == OP_RELU ? 1 : kind == OP_GLOBAL ? 3 : 7;
}

// Distinct values at least 2/n apart in [-1, 1), none within 1/n of 0: max pooling and
// ReLU are smooth at every point, so finite differences with a small step are exact.
static void fill_distinct(float *x, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++) {
    size_t k = (i * 7919u + seed) % n;
    x[i] = -1.0f + (2.0f * (float)k + 1.0f) / (float)n;
    if (fabsf(x[i]) < 0.5f / (float)n) x[i] = 1.0f / (float)n;
  }
}

static OpCheck make_check(const char *name, OpCase *c) {
  OpCheck op = {.name = name, .ctx = c, .forward = case_forward, .backward = case_backward,
                .n_in = 1, .in_name = {"x"}, .in_n = {in_numel(c)}, .out_n = out_numel(c)};
  return op;
}

static void run_case(const char *name, OpKind kind) {
  Fixture fx;
  if (fixture_load_case(&fx, name)) {
    CHECK(0, "%s: fixture missing", name);
    return;
  }
  const int *dims = fixture_ints(&fx, "dims", (size_t)dims_count(kind));
  CHECK(dims != NULL, "%s: dims", name);
  if (!dims) {
    fixture_free(&fx);
    return;
  }
  OpCase c = case_from_dims(kind, dims);
  OpCheck op = make_check(name, &c);
  if (opcheck_alloc(&op, 5) == 0 && opcheck_load(&op, &fx) == 0) {
    memset(op.out, 0x7f, op.out_n * sizeof(float));  // forward must overwrite
    opcheck_parity(&op, &fx, 1e-5);
    fill_distinct(op.in[0], op.in_n[0], 3);
    // Average pooling and resizing are linear in x: a large step has no truncation error
    // and little float32 rounding noise. Max pooling and ReLU copy inputs (no rounding) and
    // are linear between ties or 0, which the step must not cross.
    int linear = kind == OP_AVGPOOL || kind == OP_GLOBAL || kind == OP_BILINEAR;
    opcheck_gradcheck(&op, linear ? 0.1 : 1e-3, 1e-3, 1e-5, 300);
    opcheck_accumulate(&op);
  }
  opcheck_free(&op);
  fixture_free(&fx);
}

// uint8 pixels / 255 resized as PyTorch does in float32 (pytorch-fid's input path).
static void bilinear_u8_case(void) {
  Fixture fx;
  if (fixture_load(&fx, "bilinear_u8.fix")) {
    CHECK(0, "bilinear_u8: fixture missing");
    return;
  }
  const int *v = fixture_ints(&fx, "dims", 6);
  if (!v) {
    CHECK(0, "bilinear_u8: dims");
    fixture_free(&fx);
    return;
  }
  BilinearDims d = {v[0], v[1], v[2], v[3], v[4], v[5]};
  size_t n_in = (size_t)d.B * d.H * d.W * d.C, n_out = (size_t)d.B * d.Ho * d.Wo * d.C;
  const int *px = fixture_ints(&fx, "u8", n_in);
  const float *ref = fixture_floats(&fx, "out", n_out);
  if (px && ref) {
    uint8_t *u8 = malloc(n_in);
    float *f = malloc(n_in * sizeof *f), *out = malloc(n_out * sizeof *out),
          *out_f = malloc(n_out * sizeof *out_f);
    for (size_t i = 0; i < n_in; i++) u8[i] = (uint8_t)px[i], f[i] = (float)px[i] / 255.0f;
    bilinear_forward_u8(out, u8, &d);
    double err = CHECK_ARRAYS(out, ref, n_out, 1e-6, "bilinear_u8 out");
    bilinear_forward(out_f, f, &d);
    CHECK(memcmp(out, out_f, n_out * sizeof *out) == 0, "bilinear_u8 == bilinear of u/255.0f");
    printf("bilinear_u8: max rel err %.2e vs PyTorch float32\n", err);
    free(u8), free(f), free(out), free(out_f);
  } else {
    CHECK(0, "bilinear_u8: arrays missing");
  }
  fixture_free(&fx);
}

// Above PAR_MIN_WORK: the forward (and backward) on 2 threads equals 1 thread bit for bit.
static void threads_case(const char *name, OpCase c) {
  size_t n_in = in_numel(&c), n_out = out_numel(&c);
  float *x = malloc(n_in * sizeof *x), *dout = malloc(n_out * sizeof *dout);
  float *y[2], *dx[2];
  fill_uniform(x, n_in, 9, -1, 1);
  fill_uniform(dout, n_out, 10, -1, 1);
  for (int t = 0; t < 2; t++) {
    par_set_threads(t + 1);
    y[t] = malloc(n_out * sizeof(float));
    dx[t] = calloc(n_in, sizeof(float));
    float *in[1] = {x}, *g[1] = {dx[t]};
    case_forward(&c, y[t], in);
    case_backward(&c, g, dout, in);
  }
  par_set_threads(0);
  CHECK(memcmp(y[0], y[1], n_out * sizeof(float)) == 0, "%s: forward 1 thread == 2 threads", name);
  CHECK(memcmp(dx[0], dx[1], n_in * sizeof(float)) == 0, "%s: backward 1 thread == 2 threads", name);
  free(x), free(dout);
  for (int t = 0; t < 2; t++) free(y[t]), free(dx[t]);
}

// A NaN in a window wins the max (as torch.max_pool2d) and takes its gradient.
static void maxpool_nan(void) {
  Pool2dDims d = {1, 3, 3, 1, 3, 1, 1};
  float x[9] = {0, 1, 2, 3, NAN, 5, 6, 7, 8}, y[9], g[9] = {0}, ones[9];
  for (int i = 0; i < 9; i++) ones[i] = 1.0f;
  maxpool2d_forward(y, x, &d);
  int all_nan = 1;
  for (int i = 0; i < 9; i++) all_nan &= isnan(y[i]) != 0;
  CHECK(all_nan, "maxpool: every window holding the NaN outputs NaN");
  maxpool2d_backward(g, ones, x, &d);
  CHECK(g[4] == 9.0f && g[8] == 0.0f, "maxpool: the NaN takes all 9 gradients (got %g)", g[4]);
}

int main(void) {
  maxpool_nan();
  run_case("maxpool_3x3s2", OP_MAXPOOL);
  run_case("maxpool_3x3s1p1", OP_MAXPOOL);
  run_case("avgpool_3x3s1p1", OP_AVGPOOL);
  run_case("avgpool_3x3s2p1", OP_AVGPOOL);
  run_case("global_avgpool", OP_GLOBAL);
  run_case("bilinear_up", OP_BILINEAR);
  run_case("bilinear_down", OP_BILINEAR);
  run_case("bilinear_one", OP_BILINEAR);
  run_case("relu", OP_RELU);
  bilinear_u8_case();

  threads_case("maxpool 3x3 s2", (OpCase){.kind = OP_MAXPOOL, .pool = {3, 35, 33, 64, 3, 2, 0}});
  threads_case("avgpool 3x3 s1 p1", (OpCase){.kind = OP_AVGPOOL, .pool = {3, 17, 19, 48, 3, 1, 1}});
  threads_case("bilinear", (OpCase){.kind = OP_BILINEAR, .resize = {3, 28, 30, 3, 71, 67}});
  threads_case("relu", (OpCase){.kind = OP_RELU, .n = 100003});
  return check_finish("inception_ops");
}
