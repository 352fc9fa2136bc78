// ADM U-Net: parity with the independent PyTorch implementation (tests/reference/unet_ref.py,
// fixtures from gen_unet.py) for the output, loss, every parameter gradient, dx, dlambda
// and a 10-step Adam loss trajectory; no all-zero gradient; finite differences on a tiny
// config (gcd GroupNorm groups, dropout on); bad configs and inputs give clear errors.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/param_table.h"
#include "core/status.h"
#include "fixture.h"
#include "gradcheck.h"
#include "models/unet.h"
#include "optim/adam.h"

// Two levels (mult 1,2), one res block, attention at res/2, 8-channel heads.
static UNetConfig small_config(int res, int channels, int classes, int updown, int groups,
                               float dropout) {
  return (UNetConfig){.in_channels = channels, .out_channels = channels, .resolution = res,
                      .base_channels = 8, .num_levels = 2, .channel_mult = {1, 2},
                      .num_res_blocks = 1, .num_attn = 1, .attn_resolutions = {res / 2},
                      .head_channels = 8, .dropout = dropout, .num_classes = classes,
                      .resblock_updown = updown, .norm_groups = groups, .lambda_scale = 25.0};
}

// tests/reference/gen_unet.py: small_config
static UNetConfig fixture_config(int updown) { return small_config(16, 3, 5, updown, 4, 0); }

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

static double loss_and_grads(UNet *u, const float *params, float *grads, const Batch *b,
                             float *out, float *dout, float *dx, float *dlambda) {
  CHECK(unet_forward(u, params, out, b->x, b->lambda, b->labels, b->B, NULL) == VDMC_OK,
        "forward: %s", vdmc_error_message());
  double L = mse_loss(out, b->target, b->n_out, dout);
  memset(grads, 0, unet_param_floats(u) * sizeof *grads);
  CHECK(unet_backward(u, params, grads, dout, dx, dlambda) == VDMC_OK, "backward");
  return L;
}

static void check_fixture(const char *file, int updown) {
  Fixture fx;
  if (fixture_load(&fx, file)) {
    CHECK(0, "cannot load %s", file);
    return;
  }
  UNetConfig cfg = fixture_config(updown);
  UNet u;
  int B = 3;
  CHECK(unet_create(&u, &cfg, B) == VDMC_OK, "create: %s", vdmc_error_message());
  const ParamTable *t = &u.params.table;
  size_t P = unet_param_floats(&u);
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P);
  float *start = vdmc_alloc_floats(P);
  size_t n_fixture_params = 0;
  for (size_t i = 0; i < fx.count; i++) n_fixture_params += strncmp(fx.arrays[i].name, "p.", 2) == 0;
  CHECK(n_fixture_params == t->count, "%s: %zu tensors in C, %zu in the reference", file, t->count,
        n_fixture_params);
  char name[160];
  for (size_t i = 0; i < t->count; i++) {
    snprintf(name, sizeof name, "p.%s", t->items[i].name);
    const float *p = fixture_floats(&fx, name, t->items[i].numel);
    CHECK(p != NULL, "%s: parameter %s missing or mis-shaped", file, name);
    if (p) memcpy(params + t->items[i].offset, p, t->items[i].numel * sizeof *p);
  }
  memcpy(start, params, P * sizeof *params);

  size_t n_in = (size_t)B * 16 * 16 * 3, n_out = n_in;
  Batch b = {fixture_floats(&fx, "x", n_in), fixture_floats(&fx, "lambda", 3),
             fixture_floats(&fx, "target", n_out), fixture_ints(&fx, "labels", 3), B, n_out, n_in};
  float out[3 * 16 * 16 * 3], dout[3 * 16 * 16 * 3], dx[3 * 16 * 16 * 3], dlam[3];
  memset(dx, 0, sizeof dx);
  memset(dlam, 0, sizeof dlam);
  double L = loss_and_grads(&u, params, grads, &b, out, dout, dx, dlam);
  CHECK_ARRAYS(out, fixture_floats(&fx, "out", n_out), n_out, 1e-4, "output");
  const FixtureArray *lref = fixture_get(&fx, "loss");
  double Lref = ((const double *)lref->data)[0];
  CHECK_CLOSE(L, Lref, 1e-4, 0, "loss");
  printf("%s: loss %.7f (reference %.7f)\n", file, L, Lref);

  double worst = 0;
  const char *worst_name = "";
  int zero_tensors = 0;
  for (size_t i = 0; i < t->count; i++) {
    const ParamInfo *pi = &t->items[i];
    snprintf(name, sizeof name, "g.%s", pi->name);
    const float *g = fixture_floats(&fx, name, pi->numel);
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
  CHECK_ARRAYS(dx, fixture_floats(&fx, "dx", n_in), n_in, 1e-4, "input gradient dx");
  CHECK_ARRAYS(dlam, fixture_floats(&fx, "dlambda", 3), 3, 1e-4, "dlambda");

  // a smaller batch uses the front of the arena: example 0 alone gives the same output
  float out1[16 * 16 * 3];
  CHECK(unet_forward(&u, params, out1, b.x, b.lambda, b.labels, 1, NULL) == VDMC_OK, "B=1");
  CHECK_ARRAYS(out1, fixture_floats(&fx, "out", n_out), n_out / 3, 1e-5, "batch 1 = example 0");
  loss_and_grads(&u, params, grads, &b, out, dout, NULL, NULL);

  // backward accumulates: a second backward doubles every gradient
  float *twice = vdmc_alloc_floats(P);
  memcpy(twice, grads, P * sizeof *grads);
  unet_backward(&u, params, twice, dout, NULL, NULL);
  double acc_err = 0;
  for (size_t i = 0; i < P; i++) acc_err = fmax(acc_err, fabs(twice[i] - 2.0 * grads[i]));
  CHECK(acc_err < 1e-6, "backward accumulates (max |g2 - 2 g1| = %g)", acc_err);
  vdmc_free_floats(twice);

  // 10 Adam steps on the same batch
  float *m = vdmc_alloc_floats(P), *v = vdmc_alloc_floats(P);
  AdamConfig ac;
  adam_config_default(&ac);
  const FixtureArray *traj = fixture_get(&fx, "adam_losses");
  double worst_traj = 0;
  for (int step = 1; step <= 10; step++) {
    double Ls = loss_and_grads(&u, params, grads, &b, out, dout, NULL, NULL);
    double ref = ((const double *)traj->data)[step - 1];
    worst_traj = fmax(worst_traj, fabs(Ls - ref) / fabs(ref));
    CHECK_CLOSE(Ls, ref, 1e-4, 0, "adam trajectory loss");
    adam_step_slice(params, m, v, grads, 0, P, t, &ac, 1e-3, step, 1.0f);
  }
  printf("%s: 10 Adam steps, loss %.6f -> %.6f, worst rel err %.3g\n", file,
         ((const double *)traj->data)[0], ((const double *)traj->data)[9], worst_traj);
  vdmc_free_floats(m);
  vdmc_free_floats(v);
  vdmc_free_floats(start);
  vdmc_free_floats(params);
  vdmc_free_floats(grads);
  unet_free(&u);
  fixture_free(&fx);
}

// ---- finite differences on a tiny config --------------------------------------------

typedef struct {
  UNet *u;
  float *params, *x, *lambda, *out;
  const float *probe;
  const int *labels;
  int B;
  size_t n_out;
  DropoutKey drop;
} FdCtx;

static double fd_loss(void *p) {
  FdCtx *c = p;
  unet_forward(c->u, c->params, c->out, c->x, c->lambda, c->labels, c->B, &c->drop);
  return gradcheck_dot(c->out, c->probe, c->n_out);
}

static void check_finite_differences(void) {
  // dropout on; norm_groups 32 > every channel count: all GroupNorms use the gcd rule
  UNetConfig cfg = small_config(8, 2, 3, 1, 32, 0.2f);
  UNet u;
  int B = 2;
  CHECK(unet_create(&u, &cfg, B) == VDMC_OK, "tiny create: %s", vdmc_error_message());
  size_t P = unet_param_floats(&u), n = (size_t)B * 8 * 8 * 2;
  float *params = vdmc_alloc_floats(P), *grads = vdmc_alloc_floats(P), *noise = vdmc_alloc_floats(P);
  unet_init_params(&u, params, 7);
  fill_uniform(noise, P, 11, -0.1f, 0.1f);  // make the zero-init layers non-zero
  for (size_t i = 0; i < P; i++) params[i] += noise[i];
  float x[2 * 8 * 8 * 2], probe[2 * 8 * 8 * 2], out[2 * 8 * 8 * 2], dx[2 * 8 * 8 * 2];
  float lambda[2] = {-3.25f, 1.5f}, dlam[2] = {0, 0};
  int labels[2] = {1, 3};
  fill_uniform(x, n, 3, -1, 1);
  fill_uniform(probe, n, 5, -1, 1);
  memset(dx, 0, sizeof dx);
  FdCtx c = {&u, params, x, lambda, out, probe, labels, B, n,
             {.seed = 9, .step = 4, .first_example = 10, .site = 100, .p = 0}};
  fd_loss(&c);
  CHECK(unet_backward(&u, params, grads, probe, dx, dlam) == VDMC_OK, "tiny backward");
  const char *names[] = {"embed.lin1.weight", "embed.class.table", "in.0.conv.weight",
                         "in.1.res.gn1.weight", "in.2.down.conv1.weight", "in.3.res.skip.weight",
                         "mid.1.attn.qkv.weight", "mid.1.attn.proj.bias", "out.0.res.emb.weight",
                         "out.1.up.conv2.weight", "out.2.res.gn2.bias", "head.conv.weight"};
  enum { NT = sizeof names / sizeof names[0] };
  GradcheckTarget tg[NT + 2];
  int nt = 0;
  for (int i = 0; i < NT; i++) {
    const ParamInfo *pi = param_table_find(&u.params.table, names[i]);
    CHECK(pi != NULL, "tiny config has %s", names[i]);
    if (pi) tg[nt++] = (GradcheckTarget){names[i], params + pi->offset, grads + pi->offset, pi->numel};
  }
  tg[nt++] = (GradcheckTarget){"x", x, dx, n};
  double worst = gradcheck_run(fd_loss, &c, tg, nt, 1e-2, 3e-2, 2e-3, 6);
  // lambda enters as sin/cos(25 lambda f_i) with f_0 = 1: a 1e-2 step has a truncation
  // error of (25 h)^2 / 6 ~ 1% of the curvature terms, so it gets a 10x smaller step.
  GradcheckTarget tl = {"lambda", lambda, dlam, 2};
  double wl = gradcheck_run(fd_loss, &c, &tl, 1, 1e-3, 3e-2, 2e-3, 6);
  if (wl > worst) worst = wl;
  printf("finite differences (tiny, dropout on): worst rel err %.3g\n", worst);
  vdmc_free_floats(params);
  vdmc_free_floats(grads);
  vdmc_free_floats(noise);
  unet_free(&u);
}

// ---- ADM init -----------------------------------------------------------------------------

// Zero-init layers are zero (so the initial output is exactly 0), GN is (1, 0), fan-in
// uniform tensors stay inside +-1/sqrt(fan_in) with the uniform's std, and the same seed
// gives the same buffer.
static void check_init(void) {
  UNetConfig cfg = small_config(16, 3, 5, 1, 4, 0.1f);
  UNet u;
  CHECK(unet_create(&u, &cfg, 2) == VDMC_OK, "create");
  size_t P = unet_param_floats(&u);
  float *a = vdmc_alloc_floats(P), *b = vdmc_alloc_floats(P);
  unet_init_params(&u, a, 42);
  unet_init_params(&u, b, 42);
  CHECK(memcmp(a, b, P * sizeof *a) == 0, "init is deterministic in the seed");
  int n_zero = 0;
  for (size_t i = 0; i < u.params.table.count; i++) {
    const ParamInfo *pi = &u.params.table.items[i];
    const float *p = a + pi->offset;
    int zero_layer = strstr(pi->name, ".conv2.") || strstr(pi->name, ".proj.") ||
                     strstr(pi->name, "head.conv.");
    double amax = 0, ss = 0;
    for (size_t j = 0; j < pi->numel; j++) {
      amax = fmax(amax, fabs(p[j]));
      ss += (double)p[j] * p[j];
    }
    if (zero_layer || (strstr(pi->name, ".gn") && strstr(pi->name, ".bias"))) {
      n_zero += zero_layer;
      CHECK(amax == 0, "%s is zero-initialised", pi->name);
    } else if (strstr(pi->name, ".gn") && strstr(pi->name, ".weight")) {
      CHECK(p[0] == 1 && p[pi->numel - 1] == 1, "%s is ones", pi->name);
    } else if (strstr(pi->name, ".table")) {
      CHECK(fabs(sqrt(ss / pi->numel) - 1) < 0.1, "%s ~ N(0,1)", pi->name);
    } else {
      double bound = 1.0 / sqrt((double)u.params.init[i].fan_in);
      CHECK(amax <= bound && amax > 0.5 * bound, "%s inside +-1/sqrt(fan_in)", pi->name);
      if (pi->numel >= 1000)
        CHECK(fabs(sqrt(ss / pi->numel) / (bound / sqrt(3.0)) - 1) < 0.1, "%s std", pi->name);
    }
  }
  CHECK(n_zero == 2 * (u.n_res + u.n_attn + 1), "%d zero-init tensors (conv2, proj, head)",
        n_zero);
  float x[2 * 16 * 16 * 3], out[2 * 16 * 16 * 3], lam[2] = {1, -2};
  int labels[2] = {0, 5};
  fill_uniform(x, sizeof x / sizeof *x, 1, -1, 1);
  unet_forward(&u, a, out, x, lam, labels, 2, NULL);
  double omax = 0;
  for (size_t i = 0; i < sizeof out / sizeof *out; i++) omax = fmax(omax, fabs(out[i]));
  CHECK(omax == 0, "initial output is exactly zero (zero-init head), max %g", omax);
  vdmc_free_floats(a);
  vdmc_free_floats(b);
  unet_free(&u);
}

// ---- bad configs and inputs ---------------------------------------------------------------

static void expect_error(UNetConfig cfg, const char *needle) {
  UNet u;
  int st = unet_create(&u, &cfg, 2);
  CHECK(st == VDMC_ERR_INPUT && strstr(vdmc_error_message(), needle),
        "bad config rejected naming '%s' (status %d: %s)", needle, st, vdmc_error_message());
  if (st == VDMC_OK) unet_free(&u);
}

static void check_bad_configs(void) {
  enum { NBAD = 7 };
  UNetConfig bad[NBAD], c = unet_config_fmnist_default();
  for (int i = 0; i < NBAD; i++) bad[i] = c;
  bad[0].resolution = 30;
  bad[1].head_channels = 24;
  bad[2].base_channels = 48;  // 48 channels: not divisible by 32 groups, not below 32
  bad[3].attn_resolutions[0] = 5;
  bad[4].dropout = 1.0f;
  bad[5].base_channels = 33;
  bad[6].num_levels = 0;
  const char *key[NBAD] = {"model.resolution",       "model.head_channels", "model.norm_groups",
                           "model.attn_resolutions", "model.dropout",       "model.base_channels",
                           "model.channel_mult"};
  for (int i = 0; i < NBAD; i++) expect_error(bad[i], key[i]);

  UNet u;
  CHECK(unet_create(&u, &c, 2) == VDMC_OK, "fmnist default builds");
  float *params = vdmc_alloc_floats(unet_param_floats(&u));
  float x[2 * 28 * 28] = {0}, out[2 * 28 * 28], lam[2] = {0, 0};
  int labels[2] = {3, 11};
  CHECK(unet_forward(&u, params, out, x, lam, labels, 2, NULL) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "label 11"),
        "out-of-range label rejected: %s", vdmc_error_message());
  labels[1] = 10;
  CHECK(unet_forward(&u, params, out, x, lam, labels, 3, NULL) == VDMC_ERR_INPUT,
        "batch above max_batch rejected");
  CHECK(unet_forward(&u, params, out, x, lam, labels, 2, NULL) == VDMC_OK, "null label 10 ok");
  printf("fmnist default: %zu params, %.1f MFLOP forward/image, %.2f MB activations/image\n",
         unet_num_params(&u), unet_flops_per_image(&u) / 1e6,
         unet_arena_bytes_per_image(&u) / 1e6);
  vdmc_free_floats(params);
  unet_free(&u);
}

int main(void) {
  check_fixture("unet_updown.bin", 1);
  check_fixture("unet_plain.bin", 0);
  check_finite_differences();
  check_init();
  check_bad_configs();
  return check_finish("unet");
}
