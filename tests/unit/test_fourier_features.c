// Fourier-feature channels (VDM App. C): parity with the PyTorch reference
// (tests/reference/make_diffusion_fixtures.py) and a finite-difference gradient check.
#include <stdlib.h>

#include "check.h"
#include "diffusion/fourier_features.h"
#include "fixture.h"
#include "gradcheck.h"

typedef struct {
  float *z, *out, *probe;
  size_t N, C;
  int n_min, n_max;
} Ctx;

static double loss_fn(void *p) {
  Ctx *c = p;
  fourier_forward(c->out, c->z, c->N, c->C, c->n_min, c->n_max);
  return gradcheck_dot(c->out, c->probe, c->N * fourier_channels(c->C, c->n_min, c->n_max));
}

int main(void) {
  Fixture fx;
  if (fixture_load(&fx, "diffusion_fourier.bin")) {
    CHECK(0, "fixture missing");
    return check_finish("fourier_features");
  }
  const int *range = fixture_ints(&fx, "range", 2);
  size_t N = 10, C = 3, W = fourier_channels(C, range[0], range[1]);
  CHECK(W == C * (1 + 2 * 5), "channel count C (1 + 2K)");
  const float *z = fixture_floats(&fx, "z", N * C), *ref = fixture_floats(&fx, "out", N * W);
  const float *probe = fixture_floats(&fx, "probe", N * W), *dz_ref = fixture_floats(&fx, "dz", N * C);
  float *out = malloc(sizeof(float) * N * W), *dz = malloc(sizeof(float) * N * C);
  float *zc = malloc(sizeof(float) * N * C), *pc = malloc(sizeof(float) * N * W);
  fourier_forward(out, z, N, C, range[0], range[1]);
  CHECK_ARRAYS(out, ref, N * W, 1e-6, "fourier forward vs torch");
  for (size_t i = 0; i < N * C; i++) dz[i] = 1.0f;  // backward accumulates
  fourier_backward(dz, probe, z, N, C, range[0], range[1]);
  for (size_t i = 0; i < N * C; i++) dz[i] -= 1.0f;
  CHECK_ARRAYS(dz, dz_ref, N * C, 1e-5, "fourier backward vs torch autograd");
  for (size_t i = 0; i < N * C; i++) zc[i] = z[i], dz[i] = 0;
  for (size_t i = 0; i < N * W; i++) pc[i] = probe[i];
  fourier_backward(dz, pc, zc, N, C, range[0], range[1]);
  Ctx c = {zc, out, pc, N, C, range[0], range[1]};
  GradcheckTarget tg = {"fourier.dz", zc, dz, N * C};
  gradcheck_run(loss_fn, &c, &tg, 1, 1e-3, 5e-3, 1e-4, N * C);
  free(out);
  free(dz);
  free(zc);
  free(pc);
  fixture_free(&fx);
  return check_finish("fourier_features");
}
