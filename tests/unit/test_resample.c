// upsample2x / avgpool2x: PyTorch parity (interpolate nearest, avg_pool2d),
// finite-difference gradients and accumulation.
// Legend: B batch, H/W the op's input size, C channels.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "gradcheck.h"
#include "ops/resample.h"

typedef void (*ResampleFwd)(float *out, const float *inp, int B, int H, int W, int C);
typedef void (*ResampleBwd)(float *dinp, const float *dout, int B, int H, int W, int C);

typedef struct {
  const char *name;
  ResampleFwd fwd;
  ResampleBwd bwd;
  int up;  // 1: output is (2H, 2W); 0: (H/2, W/2)
} ResampleOp;

static const ResampleOp UP = {"upsample2x", upsample2x_forward, upsample2x_backward, 1};
static const ResampleOp POOL = {"avgpool2x", avgpool2x_forward, avgpool2x_backward, 0};

static size_t out_numel(const ResampleOp *op, int B, int H, int W, int C) {
  size_t hw = op->up ? (size_t)4 * H * W : (size_t)(H / 2) * (W / 2);
  return (size_t)B * hw * C;
}

static float *zeros(size_t n) { return calloc(n, sizeof(float)); }

static void test_parity(const ResampleOp *op, int B, int H, int W, int C) {
  Fixture fx;
  char what[96];
  if (fixture_load_case(&fx, op->name)) {
    CHECK(0, "%s: fixture missing", op->name);
    return;
  }
  size_t n_in = (size_t)B * H * W * C, n_out = out_numel(op, B, H, W, C);
  const float *inp = fixture_floats(&fx, "inp", n_in), *dout = fixture_floats(&fx, "dout", n_out);
  const float *out_ref = fixture_floats(&fx, "out", n_out), *dinp_ref = fixture_floats(&fx, "dinp", n_in);
  if (!inp || !dout || !out_ref || !dinp_ref) {
    CHECK(0, "%s: fixture arrays missing or mis-shaped", op->name);
    fixture_free(&fx);
    return;
  }
  float *out = zeros(n_out), *dinp = zeros(n_in);
  memset(out, 0x7f, n_out * sizeof(float));  // forward must overwrite
  op->fwd(out, inp, B, H, W, C);
  snprintf(what, sizeof what, "%s out", op->name);
  CHECK_ARRAYS(out, out_ref, n_out, 1e-6, what);
  op->bwd(dinp, dout, B, H, W, C);
  snprintf(what, sizeof what, "%s dinp", op->name);
  CHECK_ARRAYS(dinp, dinp_ref, n_in, 1e-6, what);
  op->bwd(dinp, dout, B, H, W, C);
  for (size_t i = 0; i < n_in; i++) dinp[i] *= 0.5f;
  snprintf(what, sizeof what, "%s dinp accumulates", op->name);
  CHECK_ARRAYS(dinp, dinp_ref, n_in, 1e-6, what);
  free(out), free(dinp);
  fixture_free(&fx);
}

typedef struct {
  const ResampleOp *op;
  int B, H, W, C;
  float *inp, *out, *probe;
} ResampleCtx;

static double resample_loss(void *p) {
  ResampleCtx *x = p;
  x->op->fwd(x->out, x->inp, x->B, x->H, x->W, x->C);
  return gradcheck_dot(x->out, x->probe, out_numel(x->op, x->B, x->H, x->W, x->C));
}

static void test_gradcheck(const ResampleOp *op, int B, int H, int W, int C) {
  size_t n_in = (size_t)B * H * W * C, n_out = out_numel(op, B, H, W, C);
  ResampleCtx x = {op, B, H, W, C, zeros(n_in), zeros(n_out), zeros(n_out)};
  fill_uniform(x.inp, n_in, 7, -1, 1);
  fill_uniform(x.probe, n_out, 8, -1, 1);
  float *dinp = zeros(n_in);
  op->bwd(dinp, x.probe, B, H, W, C);
  GradcheckTarget t = {op->name, x.inp, dinp, n_in};
  double worst = gradcheck_run(resample_loss, &x, &t, 1, 0.1, 1e-3, 1e-5, 200);
  printf("gradcheck %s B=%d %dx%d C=%d: worst rel err %.2e\n", op->name, B, H, W, C, worst);
  free(x.inp), free(x.out), free(x.probe), free(dinp);
}

int main(void) {
  // Shapes must match RESAMPLE_CASES in tests/reference/gen_conv.py.
  test_parity(&UP, 2, 3, 5, 3);
  test_parity(&POOL, 2, 6, 4, 5);
  test_gradcheck(&UP, 2, 3, 5, 3);
  test_gradcheck(&UP, 1, 1, 1, 7);
  test_gradcheck(&POOL, 2, 6, 4, 5);
  test_gradcheck(&POOL, 1, 2, 8, 3);
  return check_finish("resample");
}
