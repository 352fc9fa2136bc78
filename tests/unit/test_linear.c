// Linear layer (cblas_sgemm): PyTorch parity with and without bias, finite
// differences of input, weight and bias, and the backward contract.
#include <stdio.h>

#include "check.h"
#include "fixture.h"
#include "opcheck.h"
#include "ops/linear.h"

typedef struct {
  int N, Cin, Cout, has_bias;
} LinCtx;

static void lin_fwd(void *p, float *out, float *const *in) {
  LinCtx *c = p;
  linear_forward(out, in[0], in[1], c->has_bias ? in[2] : NULL, c->N, c->Cin, c->Cout);
}

static void lin_bwd(void *p, float *const *g, const float *dout, float *const *in) {
  LinCtx *c = p;
  linear_backward(g[0], g[1], c->has_bias ? g[2] : NULL, dout, in[0], in[1], c->N, c->Cin,
                  c->Cout);
}

static OpCheck lin_op(const char *name, LinCtx *c) {
  return (OpCheck){.name = name, .ctx = c, .n_in = c->has_bias ? 3 : 2,
                   .forward = lin_fwd, .backward = lin_bwd,
                   .in_name = {"x", "weight", "bias"},
                   .in_n = {(size_t)c->N * c->Cin, (size_t)c->Cin * c->Cout, (size_t)c->Cout},
                   .out_n = (size_t)c->N * c->Cout};
}

static void parity_case(const char *file, int has_bias) {
  Fixture fx;
  CHECK(fixture_load(&fx, file) == 0, "load %s", file);
  const int *d = fx.count ? fixture_ints(&fx, "dims", 3) : NULL;
  CHECK(d != NULL, "%s dims", file);
  if (d) {
    LinCtx c = {d[0], d[1], d[2], has_bias};
    OpCheck op = lin_op(file, &c);
    if (opcheck_alloc(&op, 1) == 0 && opcheck_load(&op, &fx) == 0) opcheck_parity(&op, &fx, 1e-5);
    opcheck_free(&op);
  }
  fixture_free(&fx);
}

static void contract_case(const char *name, LinCtx c) {
  OpCheck op = lin_op(name, &c);
  if (opcheck_alloc(&op, 5) == 0) {
    opcheck_gradcheck(&op, 1e-2, 1e-2, 1e-4, 1000);
    opcheck_accumulate(&op);
  }
  opcheck_free(&op);
}

int main(void) {
  parity_case("linear_bias.fix", 1);
  parity_case("linear_nobias.fix", 0);
  contract_case("linear N5 Cin7 Cout3", (LinCtx){5, 7, 3, 1});
  contract_case("linear N9 Cin4 Cout11 no bias", (LinCtx){9, 4, 11, 0});
  return check_finish("linear");
}
