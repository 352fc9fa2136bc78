// GroupNorm (NHWC) and LayerNorm: parity of out, mean, rstd and every gradient with
// PyTorch (tests/reference/gen_basic_ops.py), finite differences, the backward
// contract, and accuracy of the statistics for data with |mean| >> std.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fixture.h"
#include "opcheck.h"
#include "ops/norm.h"

typedef struct {
  int B, HW, C, G;  // LayerNorm: B = N rows, HW = 1, G = 1
  float *mean, *rstd;  // (B, G) saved by forward
} NormCtx;

static void gn_fwd(void *p, float *out, float *const *in) {
  NormCtx *c = p;
  groupnorm_forward(out, c->mean, c->rstd, in[0], in[1], in[2], c->B, c->HW, c->C, c->G);
}

static void gn_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  NormCtx *c = p;
  groupnorm_backward(g[0], g[1], g[2], dout, in[0], in[1], c->mean, c->rstd, c->B, c->HW, c->C,
                     c->G);
}

static void ln_fwd(void *p, float *out, float *const *in) {
  NormCtx *c = p;
  layernorm_forward(out, c->mean, c->rstd, in[0], in[1], in[2], c->B, c->C);
}

static void ln_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  NormCtx *c = p;
  layernorm_backward(g[0], g[1], g[2], dout, in[0], in[1], c->mean, c->rstd, c->B, c->C);
}

// LayerNorm without affine parameters (weight = bias = NULL): one input.
static void ln_plain_fwd(void *p, float *out, float *const *in) {
  NormCtx *c = p;
  layernorm_forward(out, c->mean, c->rstd, in[0], NULL, NULL, c->B, c->C);
}

static void ln_plain_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  NormCtx *c = p;
  layernorm_backward(g[0], NULL, NULL, dout, in[0], NULL, c->mean, c->rstd, c->B, c->C);
}

static OpCheck norm_op(const char *name, NormCtx *c, int layer) {
  OpCheck op = {.name = name, .ctx = c, .n_in = 3,
                .forward = layer ? ln_fwd : gn_fwd, .backward = layer ? ln_bwd : gn_bwd,
                .in_name = {"x", "weight", "bias"},
                .in_n = {(size_t)c->B * c->HW * c->C, (size_t)c->C, (size_t)c->C},
                .out_n = (size_t)c->B * c->HW * c->C};
  c->mean = calloc((size_t)c->B * c->G, sizeof(float));
  c->rstd = calloc((size_t)c->B * c->G, sizeof(float));
  return op;
}

static void norm_done(OpCheck *op, NormCtx *c) {
  opcheck_free(op);
  free(c->mean);
  free(c->rstd);
}

// Parity with a fixture whose "dims" are (B, HW, C, G) for GroupNorm or (N, C) for LayerNorm.
static void parity_case(const char *file, int layer) {
  Fixture fx;
  CHECK(fixture_load(&fx, file) == 0, "load %s", file);
  if (!fx.count) return;
  const int *d = fixture_ints(&fx, "dims", layer ? 2 : 4);
  CHECK(d != NULL, "%s dims", file);
  if (!d) return;
  NormCtx c = layer ? (NormCtx){d[0], 1, d[1], 1, NULL, NULL} : (NormCtx){d[0], d[1], d[2], d[3], NULL, NULL};
  OpCheck op = norm_op(file, &c, layer);
  if (opcheck_alloc(&op, 1) == 0 && opcheck_load(&op, &fx) == 0) {
    opcheck_parity(&op, &fx, 1e-5);
    size_t nstat = (size_t)c.B * c.G;
    const float *mref = fixture_floats(&fx, "mean", nstat), *rref = fixture_floats(&fx, "rstd", nstat);
    CHECK(mref && rref, "%s mean/rstd fixtures", file);
    if (mref && rref) {
      char what[128];
      snprintf(what, sizeof what, "%s mean", file);
      CHECK_ARRAYS(c.mean, mref, nstat, 1e-5, what);
      snprintf(what, sizeof what, "%s rstd", file);
      CHECK_ARRAYS(c.rstd, rref, nstat, 1e-5, what);
    }
  }
  norm_done(&op, &c);
  fixture_free(&fx);
}

// Finite differences and the accumulate/NULL contract on random data.
static void contract_case(const char *name, NormCtx c, int layer, size_t max_points) {
  OpCheck op = norm_op(name, &c, layer);
  if (opcheck_alloc(&op, 7) == 0) {
    opcheck_gradcheck(&op, 1e-2, 1e-2, 5e-4, max_points);
    opcheck_accumulate(&op);
  }
  norm_done(&op, &c);
}

// weight = bias = NULL equals weight 1, bias 0 (forward and dinp, which the PyTorch
// fixtures cover), and passes finite differences and the accumulate contract alone.
static void affine_free_case(int N, int C) {
  NormCtx c = {N, 1, C, 1, NULL, NULL};
  OpCheck op = norm_op("layernorm no affine", &c, 1);
  if (opcheck_alloc(&op, 3) == 0) {
    size_t n = (size_t)N * C;
    float *out = malloc(n * sizeof *out), *dx = calloc(n, sizeof *dx), *dx0 = calloc(n, sizeof *dx0);
    float *dout = malloc(n * sizeof *dout);
    fill_uniform(dout, n, 4, -1, 1);
    for (int i = 0; i < C; i++) op.in[1][i] = 1, op.in[2][i] = 0;
    ln_fwd(&c, op.out, op.in);
    ln_bwd(&c, (float *const[]){dx0, NULL, NULL}, dout, op.in);
    ln_plain_fwd(&c, out, op.in);
    ln_plain_bwd(&c, (float *const[]){dx, NULL, NULL}, dout, op.in);
    CHECK_ARRAYS(out, op.out, n, 1e-6, "layernorm NULL affine forward = (1, 0) affine");
    CHECK_ARRAYS(dx, dx0, n, 1e-6, "layernorm NULL affine dinp = (1, 0) affine");
    free(out), free(dx), free(dx0), free(dout);
    op.n_in = 1;
    op.forward = ln_plain_fwd;
    op.backward = ln_plain_bwd;
    opcheck_gradcheck(&op, 1e-2, 1e-2, 5e-4, 1000);
    opcheck_accumulate(&op);
    op.n_in = 3;
  }
  norm_done(&op, &c);
}

// Data 1e4 + U(-0.01, 0.01): a one-pass sum/sum-of-squares without the shift would
// lose the variance to cancellation (E[x^2] ~ 1e8 vs var ~ 3e-5). Checked against a
// two-pass double computation for GroupNorm (B, HW, C, G) and LayerNorm (HW = G = 1).
static void offset_accuracy(int B, int HW, int C, int G, int layer) {
  size_t n = (size_t)B * HW * C;
  float *x = malloc(n * sizeof *x), *out = malloc(n * sizeof *out);
  float *w = malloc(C * sizeof *w), *bias = malloc(C * sizeof *bias);
  float *mean = malloc((size_t)B * G * sizeof *mean), *rstd = malloc((size_t)B * G * sizeof *rstd);
  fill_uniform(x, n, 5, -0.01f, 0.01f);
  for (size_t i = 0; i < n; i++) x[i] += 1e4f;
  for (int c = 0; c < C; c++) w[c] = 1, bias[c] = 0;
  if (layer) layernorm_forward(out, mean, rstd, x, w, bias, B, C);
  else groupnorm_forward(out, mean, rstd, x, w, bias, B, HW, C, G);
  int Cg = C / G;
  for (int b = 0; b < B; b++)
    for (int g = 0; g < G; g++) {
      double m = 0, v = 0, cnt = (double)HW * Cg;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) m += x[((size_t)b * HW + p) * C + g * Cg + j];
      m /= cnt;
      for (int p = 0; p < HW; p++)
        for (int j = 0; j < Cg; j++) {
          double t = x[((size_t)b * HW + p) * C + g * Cg + j] - m;
          v += t * t;
        }
      CHECK_CLOSE(mean[b * G + g], m, 1e-7, 0, layer ? "layernorm offset mean" : "groupnorm offset mean");
      CHECK_CLOSE(rstd[b * G + g], 1.0 / sqrt(v / cnt + NORM_EPS), 1e-6, 0,
                  layer ? "layernorm offset rstd" : "groupnorm offset rstd");
    }
  free(x), free(out), free(w), free(bias), free(mean), free(rstd);
}

int main(void) {
  parity_case("groupnorm_small.fix", 0);
  parity_case("groupnorm_wide_group.fix", 0);
  parity_case("groupnorm_blocks.fix", 0);
  parity_case("groupnorm_offset.fix", 0);
  parity_case("layernorm_small.fix", 1);
  parity_case("layernorm_wide.fix", 1);
  // Cg = 3 odd shape; one 1030-channel group (spans three 512-channel segments);
  // Cg = 130 (blocks of three groups).
  contract_case("groupnorm B2 HW5 C9 G3", (NormCtx){2, 5, 9, 3, NULL, NULL}, 0, 1000);
  contract_case("groupnorm B1 HW3 C1030 G1", (NormCtx){1, 3, 1030, 1, NULL, NULL}, 0, 60);
  contract_case("groupnorm B2 HW2 C1040 G8", (NormCtx){2, 2, 1040, 8, NULL, NULL}, 0, 60);
  contract_case("layernorm N3 C7", (NormCtx){3, 1, 7, 1, NULL, NULL}, 1, 1000);
  contract_case("layernorm N2 C1030", (NormCtx){2, 1, 1030, 1, NULL, NULL}, 1, 60);
  affine_free_case(4, 11);
  offset_accuracy(2, 50, 6, 2, 0);
  offset_accuracy(40, 1, 37, 1, 1);
  return check_finish("norm");
}
