// The learned schedule's training gradient (src/train/train_schedule.h): the variance
// objective V(eta) = mean_b (L_b / D)^2 of a small U-Net's weighted eps loss,
// recomputed from scratch for every perturbed schedule parameter (lambda = f_eta(t),
// the factor w(lambda)(-lambda'), z = alpha x + sigma eps, the network's noise
// conditioning), against the gradient train_schedule_accumulate() assembles from one
// backward pass. Central finite differences; the sigmoid weighting makes the
// factor's d log w / d lambda non-zero.
// Legend: B batch, D = H*W*C values per example.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "diffusion/loss.h"
#include "diffusion/parameterization.h"
#include "models/unet.h"
#include "train/train_schedule.h"

enum { B = 3, RES = 8, CH = 2 };

typedef struct {
  StepNet u;
  float *params;                       // the network's (fixed)
  LearnedState learned;                // the schedule's parameters (a run's objective owns them)
  TrainSchedule ts;
  Schedule sch;
  Weighting w;
  size_t D;
  float *x, *eps, *z, *out, *dout;     // (B, D)
  float lambda_f[B];
  double t[B], lambda[B], weight[B], loss[B], sqerr[B];
} Ctx;

// Forward at the current schedule parameters; fills loss; dout when asked.
static void forward(Ctx *c, float *dout, double scale) {
  CHECK(schedule_prepare(&c->sch) == VDMC_OK, "schedule_prepare: %s", vdmc_error_message());
  for (int b = 0; b < B; b++) {
    c->weight[b] = diffusion_loss_weight(&c->sch, &c->w, c->t[b], &c->lambda[b]);
    c->lambda_f[b] = (float)c->lambda[b];
    double alpha, sigma;
    vp_alpha_sigma(c->lambda[b], &alpha, &sigma);
    for (size_t i = 0; i < c->D; i++) {
      size_t k = (size_t)b * c->D + i;
      c->z[k] = (float)(alpha * c->x[k] + sigma * c->eps[k]);
    }
  }
  CHECK(stepnet_forward(&c->u, c->params, c->out, c->z, c->lambda_f, NULL, B, NULL) == VDMC_OK, "forward");
  if (dout) memset(dout, 0, (size_t)B * c->D * sizeof *dout);
  diffusion_loss(c->loss, c->sqerr, dout, c->out, c->z, c->eps, c->lambda, c->weight, B, c->D, PRED_EPS, 0.5,
                 scale);
}

static double variance_objective(void *p) {
  Ctx *c = p;
  forward(c, NULL, 0);
  double v = 0;
  for (int b = 0; b < B; b++) v += (c->loss[b] / (double)c->D) * (c->loss[b] / (double)c->D);
  return v / B;
}

int main(void) {
  Ctx c;
  memset(&c, 0, sizeof c);
  UNetConfig cfg = {.in_channels = CH, .out_channels = CH, .resolution = RES, .base_channels = 8,
                    .num_levels = 2, .channel_mult = {1, 2}, .num_res_blocks = 1, .num_attn = 1,
                    .attn_resolutions = {RES / 2}, .head_channels = 8, .norm_groups = 4,
                    .lambda_scale = 25.0};
  CHECK(unet_create(&c.u, &cfg, B) == VDMC_OK, "create: %s", vdmc_error_message());
  c.D = (size_t)RES * RES * CH;
  size_t n = (size_t)B * c.D;
  c.params = vdmc_alloc_floats(stepnet_param_floats(&c.u));
  stepnet_init_params(&c.u, c.params, 7);
  // The head is zero-initialised; give it weights so the output depends on z and lambda.
  for (size_t i = 0; i < stepnet_param_floats(&c.u); i++)
    if (c.params[i] == 0.0f) c.params[i] = 0.05f * (float)sin(0.37 * (double)i);
  c.x = vdmc_alloc_floats(n), c.eps = vdmc_alloc_floats(n), c.z = vdmc_alloc_floats(n);
  c.out = vdmc_alloc_floats(n), c.dout = vdmc_alloc_floats(n);
  fill_uniform(c.x, n, 1, -1, 1);
  fill_uniform(c.eps, n, 2, -1.7f, 1.7f);
  c.t[0] = 0.21, c.t[1] = 0.55, c.t[2] = 0.87;

  schedule_defaults(&c.sch, SCHEDULE_LEARNED);
  c.sch.lambda_min = -10, c.sch.lambda_max = 12;
  weighting_defaults(&c.w, WEIGHTING_SIGMOID);
  CHECK(weighting_prepare(&c.w) == VDMC_OK, "weighting");
  CHECK(learned_state_create(&c.learned, c.sch.lambda_min, c.sch.lambda_max) == VDMC_OK, "learned schedule");
  c.sch.learned = &c.learned.ls;
  CHECK(train_schedule_init(&c.ts, &c.learned, B, c.D) == VDMC_OK, "init: %s", vdmc_error_message());
  // Move away from the near-linear start so every parameter matters.
  LearnedSchedule *ls = &c.learned.ls;
  for (size_t j = 0; j < ls->n_features; j++) c.learned.params[ls->off_w3 + j] = 0.5f + 0.4f * (float)sin((double)j);
  c.learned.params[ls->off_w1] = 0.7f;

  // analytic: one backward, as the training step does it
  double scale = 1.0 / ((double)B * (double)c.D);
  forward(&c, c.dout, scale);
  float *grads = vdmc_alloc_floats(stepnet_param_floats(&c.u));
  memset(grads, 0, stepnet_param_floats(&c.u) * sizeof *grads);
  memset(c.ts.grads, 0, c.learned.table.total * sizeof(float));
  train_schedule_begin_micro(&c.ts, B);
  CHECK(stepnet_backward(&c.u, c.params, grads, c.dout, c.ts.dz, c.ts.dlambda) == VDMC_OK, "backward");
  train_schedule_accumulate(&c.ts, &c.w, c.x, c.eps, c.t, c.lambda, c.loss, c.sqerr, B, scale, B);

  // The l1 bias cancels in the endpoint normalisation: its gradient is 0 up to rounding.
  CHECK(fabs(c.ts.grads[ls->off_b1]) < 1e-4 * fabs(c.ts.grads[ls->off_w1]), "l1.bias gradient %g (expected 0)",
        c.ts.grads[ls->off_b1]);
  // A single unit carries 1/1024 of the schedule, too little for finite differences
  // through a float32 network; so each tensor is checked along a random direction v
  // over all its elements: (V(eta + h v) - V(eta - h v)) / 2h against g . v.
  // Steps h: the smallest at which float32 rounding of V stays well below the change.
  struct { const char *name; size_t off, n; double h; } tensors[4] = {
      {"l1.weight", ls->off_w1, 1, 1e-2}, {"l2.weight", ls->off_w2, ls->n_features, 5e-2},
      {"l2.bias", ls->off_b2, ls->n_features, 1e-2}, {"l3.weight", ls->off_w3, ls->n_features, 1e-2}};
  float *v = vdmc_alloc_floats(ls->n_features), *p = c.learned.params;
  for (int k = 0; k < 4; k++) {
    fill_uniform(v, tensors[k].n, 100 + (unsigned)k, -1, 1);
    double gv = 0, h = tensors[k].h;
    for (size_t i = 0; i < tensors[k].n; i++) gv += (double)c.ts.grads[tensors[k].off + i] * v[i];
    float *saved = vdmc_alloc_floats(tensors[k].n);
    memcpy(saved, p + tensors[k].off, tensors[k].n * sizeof(float));
    double vp, vm;
    for (size_t i = 0; i < tensors[k].n; i++) p[tensors[k].off + i] = saved[i] + (float)(h * v[i]);
    vp = variance_objective(&c);
    for (size_t i = 0; i < tensors[k].n; i++) p[tensors[k].off + i] = saved[i] - (float)(h * v[i]);
    vm = variance_objective(&c);
    memcpy(p + tensors[k].off, saved, tensors[k].n * sizeof(float));
    vdmc_free_floats(saved);
    double num = (vp - vm) / (2 * h), rel = fabs(num - gv) / fmax(fabs(num), fabs(gv));
    printf("schedule.%-10s directional derivative: numeric %.6e analytic %.6e rel err %.2e\n",
           tensors[k].name, num, gv, rel);
    CHECK(rel < 1e-2, "schedule.%s: numeric %g vs analytic %g", tensors[k].name, num, gv);
  }
  vdmc_free_floats(v);
  train_schedule_free(&c.ts);
  learned_state_free(&c.learned);
  stepnet_free(&c.u);
  vdmc_free_floats(c.params), vdmc_free_floats(grads);
  vdmc_free_floats(c.x), vdmc_free_floats(c.eps), vdmc_free_floats(c.z);
  vdmc_free_floats(c.out), vdmc_free_floats(c.dout);
  return check_finish("train_schedule");
}
