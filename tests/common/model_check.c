// Model parity and finite-difference checks shared by unit.unet and unit.uvit
// (see model_check.h).
#include "model_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/param_table.h"
#include "core/status.h"
#include "fixture.h"
#include "gradcheck.h"
#include "optim/adam.h"

// 0.5 * mean((out - target)^2) in double; dout = (out - target) / n when non-NULL.
static double mse_loss(const float *out, const float *target, size_t n, float *dout) {
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    double d = (double)out[i] - target[i];
    s += d * d;
    if (dout) dout[i] = (float)(d / (double)n);
  }
  return 0.5 * s / (double)n;
}

typedef struct {
  const float *x, *lambda, *target;
  const int *labels;
  int B;
  size_t n_out, n_in;
} Batch;

static double loss_and_grads(StepNet *u, const float *params, float *grads, const Batch *b,
                             float *out, float *dout, float *dx, float *dlambda) {
  CHECK(stepnet_forward(u, params, out, b->x, b->lambda, b->labels, b->B, NULL) == VDMC_OK,
        "forward: %s", vdmc_error_message());
  double L = mse_loss(out, b->target, b->n_out, dout);
  memset(grads, 0, stepnet_param_floats(u) * sizeof *grads);
  CHECK(stepnet_backward(u, params, grads, dout, dx, dlambda) == VDMC_OK, "backward");
  return L;
}

// Copies every p.<name> of the fixture into params; 0 when all were found.
static int load_params(const Fixture *fx, const char *file, const ParamTable *t, float *params) {
  size_t n_fixture_params = 0;
  for (size_t i = 0; i < fx->count; i++)
    n_fixture_params += strncmp(fx->arrays[i].name, "p.", 2) == 0;
  CHECK(n_fixture_params == t->count, "%s: %zu tensors in C, %zu in the reference", file,
        t->count, n_fixture_params);
  int missing = n_fixture_params != t->count;
  char name[160];
  for (size_t i = 0; i < t->count; i++) {
    snprintf(name, sizeof name, "p.%s", t->items[i].name);
    const float *p = fixture_floats(fx, name, t->items[i].numel);
    CHECK(p != NULL, "%s: parameter %s missing or mis-shaped", file, name);
    if (p) memcpy(params + t->items[i].offset, p, t->items[i].numel * sizeof *p);
    missing |= p == NULL;
  }
  return missing;
}

// Every gradient tensor against g.<name>: max rel. error, worst printed, none all-zero.
static void check_param_grads(const Fixture *fx, const char *file, const ParamTable *t,
                              const float *grads) {
  double worst = 0;
  const char *worst_name = "";
  int zero_tensors = 0;
  char name[160];
  for (size_t i = 0; i < t->count; i++) {
    const ParamInfo *pi = &t->items[i];
    snprintf(name, sizeof name, "g.%s", pi->name);
    const float *g = fixture_floats(fx, name, pi->numel);
    if (!g) {
      CHECK(0, "missing gradient %s", name);
      continue;
    }
    double err = check_arrays(grads + pi->offset, g, pi->numel, 1e-4, __FILE__, __LINE__, pi->name);
    if (err > worst) {
      worst = err;
      worst_name = pi->name;
    }
    float amax = 0;
    for (size_t j = 0; j < pi->numel; j++) amax = fmaxf(amax, fabsf(grads[pi->offset + j]));
    if (amax == 0) zero_tensors++;
    CHECK(amax > 0, "%s: gradient of %s is all zero (a dropped path)", file, pi->name);
  }
  printf("%s: %zu gradient tensors, worst max-rel-err %.3g in %s; %d all-zero\n", file, t->count,
         worst, worst_name, zero_tensors);
}

static void check_adam(StepNet *u, const Fixture *fx, const char *file, float *params, float *grads,
                       const Batch *b, float *out, float *dout) {
  size_t P = stepnet_param_floats(u);
  float *m = vdmc_alloc_floats(P), *v = vdmc_alloc_floats(P);
  AdamConfig ac;
  adam_config_default(&ac);
  const FixtureArray *traj = fixture_get(fx, "adam_losses");
  CHECK(traj && traj->numel == 10, "%s: adam_losses", file);
  double worst_traj = 0;
  for (int step = 1; traj && traj->numel == 10 && step <= 10; step++) {
    double Ls = loss_and_grads(u, params, grads, b, out, dout, NULL, NULL);
    double ref = ((const double *)traj->data)[step - 1];
    worst_traj = fmax(worst_traj, fabs(Ls - ref) / fabs(ref));
    CHECK_CLOSE(Ls, ref, 1e-4, 0, "adam trajectory loss");
    adam_step_slice(params, m, v, grads, 0, P, &u->params.table, &ac, 1e-3, step, 1.0f);
  }
  if (traj)
    printf("%s: 10 Adam steps, loss %.6f -> %.6f, worst rel err %.3g\n", file,
           ((const double *)traj->data)[0], ((const double *)traj->data)[9], worst_traj);
  vdmc_free_floats(m);
  vdmc_free_floats(v);
}

void model_check_fixture(StepNet *u, const char *file, int R, int Cin, int Cout) {
  Fixture fx;
  if (fixture_load(&fx, file)) {
    CHECK(0, "cannot load %s", file);
    return;
  }
  enum { B = 3 };
  const ParamTable *t = &u->params.table;
  size_t P = stepnet_param_floats(u), n_in = (size_t)B * R * R * Cin, n_out = (size_t)B * R * R * Cout;
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P);
  float *out = calloc(n_out, sizeof *out), *dout = calloc(n_out, sizeof *dout);
  float *dx = calloc(n_in, sizeof *dx), dlam[B] = {0, 0, 0};
  Batch b = {fixture_floats(&fx, "x", n_in), fixture_floats(&fx, "lambda", B),
             fixture_floats(&fx, "target", n_out), fixture_ints(&fx, "labels", B), B, n_out, n_in};
  const FixtureArray *lref = fixture_get(&fx, "loss");
  if (load_params(&fx, file, t, params) || !b.x || !b.lambda || !b.target || !b.labels || !lref) {
    CHECK(0, "%s: fixture incomplete", file);
    goto done;
  }
  double L = loss_and_grads(u, params, grads, &b, out, dout, dx, dlam);
  CHECK_ARRAYS(out, fixture_floats(&fx, "out", n_out), n_out, 1e-4, "output");
  double Lref = ((const double *)lref->data)[0];
  CHECK_CLOSE(L, Lref, 1e-4, 0, "loss");
  printf("%s: loss %.7f (reference %.7f)\n", file, L, Lref);
  check_param_grads(&fx, file, t, grads);
  CHECK_ARRAYS(dx, fixture_floats(&fx, "dx", n_in), n_in, 1e-4, "input gradient dx");
  CHECK_ARRAYS(dlam, fixture_floats(&fx, "dlambda", B), B, 1e-4, "dlambda");

  // a smaller batch uses the front of the arena: example 0 alone gives the same output
  CHECK(stepnet_forward(u, params, out, b.x, b.lambda, b.labels, 1, NULL) == VDMC_OK, "B=1");
  CHECK_ARRAYS(out, fixture_floats(&fx, "out", n_out), n_out / B, 1e-5, "batch 1 = example 0");
  loss_and_grads(u, params, grads, &b, out, dout, NULL, NULL);

  // backward accumulates: a second backward doubles every gradient
  float *twice = vdmc_alloc_floats(P);
  memcpy(twice, grads, P * sizeof *grads);
  stepnet_backward(u, params, twice, dout, NULL, NULL);
  double acc_err = 0;
  for (size_t i = 0; i < P; i++) acc_err = fmax(acc_err, fabs(twice[i] - 2.0 * grads[i]));
  CHECK(acc_err < 1e-6, "backward accumulates (max |g2 - 2 g1| = %g)", acc_err);
  vdmc_free_floats(twice);

  check_adam(u, &fx, file, params, grads, &b, out, dout);
done:
  free(out), free(dout), free(dx);
  vdmc_free_floats(params);
  vdmc_free_floats(grads);
  fixture_free(&fx);
}

// ---- finite differences ---------------------------------------------------------------

typedef struct {
  StepNet *u;
  float *params, *x, *lambda, *out;
  const float *probe;
  const int *labels;
  int B;
  size_t n_out;
  DropoutKey drop;
} FdCtx;

static double fd_loss(void *p) {
  FdCtx *c = p;
  stepnet_forward(c->u, c->params, c->out, c->x, c->lambda, c->labels, c->B, &c->drop);
  return gradcheck_dot(c->out, c->probe, c->n_out);
}

void model_check_fd(StepNet *u, const char *const *names, int n_names, int R, int C) {
  enum { B = 2 };
  size_t P = stepnet_param_floats(u), n = (size_t)B * R * R * C;
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P), *noise = vdmc_alloc_floats(P);
  stepnet_init_params(u, params, 7);
  fill_uniform(noise, P, 11, -0.1f, 0.1f);  // make the zero-init layers non-zero
  for (size_t i = 0; i < P; i++) params[i] += noise[i];
  float *x = calloc(n, sizeof *x), *probe = calloc(n, sizeof *probe), *out = calloc(n, sizeof *out);
  float *dx = calloc(n, sizeof *dx), lambda[B] = {-3.25f, 1.5f}, dlam[B] = {0, 0};
  int labels[B] = {1, 3};
  fill_uniform(x, n, 3, -1, 1);
  fill_uniform(probe, n, 5, -1, 1);
  FdCtx c = {u, params, x, lambda, out, probe, labels, B, n,
             {.seed = 9, .step = 4, .first_example = 10, .site = 100, .p = 0}};
  fd_loss(&c);
  CHECK(stepnet_backward(u, params, grads, probe, dx, dlam) == VDMC_OK, "tiny backward");
  GradcheckTarget *tg = calloc((size_t)n_names + 2, sizeof *tg);
  int nt = 0;
  for (int i = 0; i < n_names; i++) {
    const ParamInfo *pi = param_table_find(&u->params.table, names[i]);
    CHECK(pi != NULL, "tiny config has %s", names[i]);
    if (pi) tg[nt++] = (GradcheckTarget){names[i], params + pi->offset, grads + pi->offset, pi->numel};
  }
  tg[nt++] = (GradcheckTarget){"x", x, dx, n};
  double worst = gradcheck_run(fd_loss, &c, tg, nt, 1e-2, 3e-2, 2e-3, 6);
  // lambda enters as sin/cos(25 lambda f_i) with f_0 = 1: a 1e-2 step has a truncation
  // error of (25 h)^2 / 6 ~ 1% of the curvature terms, so it gets a 10x smaller step.
  GradcheckTarget tl = {"lambda", lambda, dlam, B};
  double wl = gradcheck_run(fd_loss, &c, &tl, 1, 1e-3, 3e-2, 2e-3, 6);
  if (wl > worst) worst = wl;
  printf("finite differences (tiny, dropout on): worst rel err %.3g\n", worst);
  free(tg), free(x), free(probe), free(out), free(dx);
  vdmc_free_floats(params);
  vdmc_free_floats(grads);
  vdmc_free_floats(noise);
}
