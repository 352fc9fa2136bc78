// VDM's learned monotonic schedule: endpoints, monotonicity under arbitrary raw
// weights, and finite-difference gradient checks of its backward, alone and
// through the weighted loss (sigmoid weighting: the gradient reaches the
// parameters through both lambda_t and -dlambda/dt).
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "core/param_table.h"
#include "diffusion/loss.h"
#include "diffusion/schedule_learned.h"
#include "gradcheck.h"

enum { NF = 16, NT = 6, D = 5 };

typedef struct {
  LearnedSchedule *ls;
  Schedule *sch;
  Weighting *w;
  double t[NT];
  float out[NT * D], eps[NT * D], z[NT * D];
  int mode;  // 0: sum sin(lambda) + slope^2/100; 1: weighted loss
} Ctx;

static double loss_fn(void *p) {
  Ctx *c = p;
  double total = 0;
  for (int i = 0; i < NT; i++) {
    if (c->mode == 0) {
      double l = learned_lambda(c->ls, c->t[i]), sl = learned_dlambda_dt(c->ls, c->t[i]);
      total += sin(l) + sl * sl / 100;
    } else {
      double lambda, weight = diffusion_loss_weight(c->sch, c->w, c->t[i], &lambda), loss;
      // eps-parameterization with a fixed output: lambda enters through w(lambda)
      diffusion_loss(&loss, NULL, NULL, c->out + i * D, c->z + i * D, c->eps + i * D, &lambda, &weight, 1, D,
                     PRED_EPS, 0.5, 0);
      total += loss;
    }
  }
  return total;
}

static void analytic_grad(Ctx *c, float *grad, size_t n) {
  for (size_t i = 0; i < n; i++) grad[i] = 0;
  double gl[NT], gs[NT];
  for (int i = 0; i < NT; i++) {
    double l = learned_lambda(c->ls, c->t[i]), sl = learned_dlambda_dt(c->ls, c->t[i]);
    if (c->mode == 0) {
      gl[i] = cos(l);
      gs[i] = 2 * sl / 100;
    } else {
      double lambda, weight = diffusion_loss_weight(c->sch, c->w, c->t[i], &lambda), sq, loss;
      diffusion_loss(&loss, &sq, NULL, c->out + i * D, c->z + i * D, c->eps + i * D, &lambda, &weight, 1, D,
                     PRED_EPS, 0.5, 0);
      gl[i] = gs[i] = 0;
      diffusion_loss_schedule_grads(&gl[i], &gs[i], &loss, &sq, &lambda, c->w, 1, 1.0);
    }
  }
  learned_backward(c->ls, grad, c->t, gl, gs, NT);
}

int main(void) {
  ParamTable table;
  param_table_init(&table);
  LearnedSchedule ls;
  CHECK(learned_register(&ls, &table, "noise", NF, -13, 7) == 0, "register");
  CHECK(param_table_find(&table, "noise.l2.weight")->numel == NF, "tensor table names");
  float *params = vdmc_alloc_floats(table.total), *grad = vdmc_alloc_floats(table.total);
  learned_init_params(&ls, params);
  ls.params = params;
  CHECK(learned_check(&ls) == 0, "init not degenerate");
  // give the non-linear part real weight and mixed raw signs
  for (size_t j = 0; j < NF; j++) {
    params[ls.off_w3 + j] = (float)((j % 3 == 0 ? -1 : 1) * (2.0 + sin(1.7 * j)));
    if (j % 4 == 1) params[ls.off_w2 + j] = -params[ls.off_w2 + j];
  }
  params[ls.off_w1] = 0.7f;
  params[ls.off_b1] = 0.3f;
  CHECK_CLOSE(learned_lambda(&ls, 0), 7, 1e-12, 0, "lambda(0) = lambda_max");
  CHECK_CLOSE(learned_lambda(&ls, 1), -13, 1e-12, 0, "lambda(1) = lambda_min");
  int mono = 1;
  for (int i = 1; i <= 1000; i++) mono &= learned_lambda(&ls, i / 1000.0) < learned_lambda(&ls, (i - 1) / 1000.0);
  CHECK(mono, "monotonic whatever the raw weight signs");
  for (int i = 1; i < 10; i++) {
    double t = i / 10.0, h = 1e-6;
    double num = (learned_lambda(&ls, t + h) - learned_lambda(&ls, t - h)) / (2 * h);
    CHECK_CLOSE(learned_dlambda_dt(&ls, t), num, 1e-6, 0, "dlambda/dt");
  }

  Schedule sch;
  schedule_defaults(&sch, SCHEDULE_LEARNED);
  sch.lambda_min = -13;
  sch.lambda_max = 7;
  sch.learned = &ls;
  CHECK(schedule_prepare(&sch) == 0, "prepare");
  Weighting w;
  weighting_defaults(&w, WEIGHTING_SIGMOID);
  weighting_prepare(&w);
  Ctx c = {.ls = &ls, .sch = &sch, .w = &w, .t = {0.03, 0.2, 0.41, 0.5, 0.77, 0.96}};
  fill_uniform(c.out, NT * D, 5, -1, 1);
  fill_uniform(c.eps, NT * D, 6, -2, 2);
  fill_uniform(c.z, NT * D, 7, -1, 1);
  const char *names[5] = {"l1.weight", "l1.bias", "l2.weight", "l2.bias", "l3.weight"};
  size_t offs[5] = {ls.off_w1, ls.off_b1, ls.off_w2, ls.off_b2, ls.off_w3}, ns[5] = {1, 1, NF, NF, NF};
  for (int mode = 0; mode < 2; mode++) {
    c.mode = mode;
    analytic_grad(&c, grad, table.total);
    GradcheckTarget tg[5];
    for (int k = 0; k < 5; k++) tg[k] = (GradcheckTarget){names[k], params + offs[k], grad + offs[k], ns[k]};
    double worst = gradcheck_run(loss_fn, &c, tg, 5, 1e-3, 5e-3, 1e-5, NF);
    printf("  dL/d l1.weight %.5g, dL/d l2.weight[1] %.5g, dL/d l3.weight[2] %.5g\n", grad[ls.off_w1],
           grad[ls.off_w2 + 1], grad[ls.off_w3 + 2]);
    printf("learned schedule gradcheck mode %d: worst rel err %.3g\n", mode, worst);
  }
  CHECK_CLOSE(grad[ls.off_b1], 0, 0, 1e-6, "l1 bias cancels in the normalisation");
  // degenerate network is an error, not a NaN schedule
  for (size_t i = 0; i < table.total; i++) params[i] = 0;
  CHECK(learned_check(&ls) != 0, "degenerate network rejected");
  vdmc_free_floats(params);
  vdmc_free_floats(grad);
  param_table_free(&table);
  return check_finish("schedule_learned");
}
