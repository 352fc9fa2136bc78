// Residual add, channel concat/split, ADM scale-shift and per-example channel bias:
// PyTorch parity (a + b, torch.cat, x*(1+scale)+shift, x + v), finite differences,
// and the backward contract, including C > 512 (column blocks of the reductions).
#include <stdio.h>

#include "check.h"
#include "fixture.h"
#include "opcheck.h"
#include "ops/tensor_ops.h"

typedef struct {
  int B, HW, C, Cb;  // add: n = B*HW*C; concat: P = B*HW rows, Ca = C
} TCtx;

static size_t numel(const TCtx *t) { return (size_t)t->B * t->HW * t->C; }

static void add_fwd(void *p, float *out, float *const *in) {
  add_forward(out, in[0], in[1], numel(p));
}
static void add_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  accumulate(g[0], dout, numel(p));
  accumulate(g[1], dout, numel(p));
}

static void cat_fwd(void *p, float *out, float *const *in) {
  TCtx *t = p;
  concat_channels_forward(out, in[0], in[1], (size_t)t->B * t->HW, t->C, t->Cb);
}
static void cat_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  TCtx *t = p;
  concat_channels_backward(g[0], g[1], dout, (size_t)t->B * t->HW, t->C, t->Cb);
}

static void ss_fwd(void *p, float *out, float *const *in) {
  TCtx *t = p;
  scale_shift_forward(out, in[0], in[1], t->B, t->HW, t->C);
}
static void ss_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  TCtx *t = p;
  scale_shift_backward(g[0], g[1], dout, in[0], in[1], t->B, t->HW, t->C);
}

static void cb_fwd(void *p, float *out, float *const *in) {
  TCtx *t = p;
  add_channel_bias_forward(out, in[0], in[1], t->B, t->HW, t->C);
}
static void cb_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  TCtx *t = p;
  add_channel_bias_backward(g[0], g[1], dout, t->B, t->HW, t->C);
}

typedef enum { T_ADD, T_CONCAT, T_SCALE_SHIFT, T_CHANNEL_BIAS } TKind;

static OpCheck tensor_op(const char *name, TKind k, TCtx *t) {
  size_t n = numel(t), rows = (size_t)t->B * t->HW;
  OpCheck op = {.name = name, .ctx = t, .n_in = 2, .out_n = n};
  switch (k) {
    case T_ADD:
      op.forward = add_fwd, op.backward = add_bwd;
      op.in_name[0] = "a", op.in_name[1] = "b", op.in_n[0] = op.in_n[1] = n;
      break;
    case T_CONCAT:
      op.forward = cat_fwd, op.backward = cat_bwd;
      op.in_name[0] = "a", op.in_name[1] = "b";
      op.in_n[0] = n, op.in_n[1] = rows * t->Cb, op.out_n = rows * (t->C + t->Cb);
      break;
    case T_SCALE_SHIFT:
      op.forward = ss_fwd, op.backward = ss_bwd;
      op.in_name[0] = "x", op.in_name[1] = "ss", op.in_n[0] = n;
      op.in_n[1] = (size_t)t->B * 2 * t->C;
      break;
    case T_CHANNEL_BIAS:
      op.forward = cb_fwd, op.backward = cb_bwd;
      op.in_name[0] = "x", op.in_name[1] = "v", op.in_n[0] = n, op.in_n[1] = (size_t)t->B * t->C;
      break;
  }
  return op;
}

// dims in the fixture: add (n), concat (P, Ca, Cb), the others (B, HW, C).
static void parity_case(const char *file, TKind k) {
  Fixture fx;
  CHECK(fixture_load(&fx, file) == 0, "load %s", file);
  const FixtureArray *d = fx.count ? fixture_get(&fx, "dims") : NULL;
  CHECK(d && d->dtype == 1, "%s dims", file);
  if (d && d->dtype == 1) {
    const int *v = d->data;
    TCtx t = k == T_ADD ? (TCtx){1, 1, v[0], 0}
             : k == T_CONCAT ? (TCtx){1, v[0], v[1], v[2]} : (TCtx){v[0], v[1], v[2], 0};
    OpCheck op = tensor_op(file, k, &t);
    if (opcheck_alloc(&op, 1) == 0 && opcheck_load(&op, &fx) == 0) opcheck_parity(&op, &fx, 1e-5);
    opcheck_free(&op);
  }
  fixture_free(&fx);
}

static void contract_case(const char *name, TKind k, TCtx t) {
  OpCheck op = tensor_op(name, k, &t);
  if (opcheck_alloc(&op, 9) == 0) {
    opcheck_gradcheck(&op, 1e-2, 1e-2, 1e-4, 200);
    opcheck_accumulate(&op);
  }
  opcheck_free(&op);
}

int main(void) {
  parity_case("add.fix", T_ADD);
  parity_case("concat.fix", T_CONCAT);
  parity_case("scale_shift.fix", T_SCALE_SHIFT);
  parity_case("add_channel_bias.fix", T_CHANNEL_BIAS);
  contract_case("add n=105", T_ADD, (TCtx){3, 5, 7, 0});
  contract_case("concat P15 Ca3 Cb5", T_CONCAT, (TCtx){3, 5, 3, 5});
  contract_case("scale_shift B2 HW5 C7", T_SCALE_SHIFT, (TCtx){2, 5, 7, 0});
  contract_case("scale_shift B2 HW3 C515", T_SCALE_SHIFT, (TCtx){2, 3, 515, 0});
  contract_case("add_channel_bias B3 HW5 C7", T_CHANNEL_BIAS, (TCtx){3, 5, 7, 0});
  contract_case("add_channel_bias B2 HW3 C515", T_CHANNEL_BIAS, (TCtx){2, 3, 515, 0});
  return check_finish("tensor_ops");
}
