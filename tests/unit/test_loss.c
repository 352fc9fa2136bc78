// The weighted loss estimator (Eq. 7): low-discrepancy times independent of the
// rank split, value and gradient into the network output for every
// parameterization, and the invariance of Eq. 6 (same loss under cosine, EDM and
// adaptive schedules, Monte Carlo within 3 standard errors).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fixture.h"
#include "diffusion/adaptive.h"
#include "diffusion/loss.h"
#include "gaussian_model.h"
#include "gradcheck.h"
#include "test_rng.h"

static void check_lowdisc(void) {
  enum { GB = 12 };
  double all[GB], part[GB];
  double u0 = 0.7364;
  lowdisc_times(all, GB, 0, GB, u0);
  for (size_t r = 0; r < 3; r++) lowdisc_times(part + 4 * r, 4, 4 * r, GB, u0);
  int same = 1, in_range = 1;
  for (int i = 0; i < GB; i++) {
    same &= all[i] == part[i];
    in_range &= all[i] >= 0 && all[i] < 1;
  }
  CHECK(same, "times do not depend on the rank split");
  CHECK(in_range, "times in [0, 1)");
  CHECK_CLOSE(all[0], u0, 0, 1e-15, "t_0 = u0");
  CHECK_CLOSE(all[5], fmod(u0 + 5.0 / GB, 1.0), 0, 1e-15, "t_i = (u0 + i/B) mod 1");
  // stratified: exactly one time per interval [k/B, (k+1)/B)
  int hits[GB] = {0};
  for (int i = 0; i < GB; i++) hits[(int)(all[i] * GB)]++;
  int strat = 1;
  for (int k = 0; k < GB; k++) strat &= hits[k] == 1;
  CHECK(strat, "one time per stratum");
}

typedef struct {
  float *out, *z, *eps, *probe_unused;
  double *lambda, *weight;
  size_t B, D;
  PredKind kind;
} LossCtx;

static double loss_total(void *p) {
  LossCtx *c = p;
  double loss[8], total = 0;
  diffusion_loss(loss, NULL, NULL, c->out, c->z, c->eps, c->lambda, c->weight, c->B, c->D, c->kind, 0.5, 0);
  for (size_t b = 0; b < c->B; b++) total += loss[b];
  return total / c->B;
}

static void check_value_and_gradient(void) {
  enum { B = 4, D = 6 };
  float out[B * D], z[B * D], eps[B * D], dout[B * D];
  double lambda[B] = {-6, -1, 2.5, 7}, weight[B] = {0.3, 1.7, 0.9, 2.2};
  fill_uniform(out, B * D, 11, -1, 1);
  fill_uniform(z, B * D, 12, -1, 1);
  fill_uniform(eps, B * D, 13, -1.5, 1.5);
  for (int k = 0; k < PRED_KIND_COUNT; k++) {
    LossCtx c = {out, z, eps, NULL, lambda, weight, B, D, (PredKind)k};
    double loss[B], sqerr[B];
    for (int i = 0; i < B * D; i++) dout[i] = 0.25f;  // accumulation check: starts non-zero
    diffusion_loss(loss, sqerr, dout, out, z, eps, lambda, weight, B, D, (PredKind)k, 0.5, 1.0 / B);
    for (int b = 0; b < B; b++) {
      PredCoef pc = pred_coef((PredKind)k, lambda[b], 0.5);
      double sq = 0;
      for (int i = 0; i < D; i++) {
        double r = pc.eps_z * z[b * D + i] + pc.eps_out * out[b * D + i] - eps[b * D + i];
        sq += r * r;
      }
      CHECK_CLOSE(sqerr[b], sq, 1e-12, 0, "sqerr");
      CHECK_CLOSE(loss[b], 0.5 * weight[b] * sq, 1e-12, 0, "loss = 1/2 weight ||eps_hat - eps||^2");
    }
    for (int i = 0; i < B * D; i++) dout[i] -= 0.25f;
    GradcheckTarget tg = {"loss.dout", out, dout, B * D};
    gradcheck_run(loss_total, &c, &tg, 1, 1e-3, 2e-3, 1e-6, B * D);
  }
}

// Eq. 6: the weighted loss does not depend on the schedule; Monte Carlo with iid t.
static void check_invariance(void) {
  const double mu = 0.1, sd = 0.6, lmin = -10, lmax = 10;
  enum { D = 4, N = 100000 };
  const double x[D] = {-0.9, -0.2, 0.4, 1.1};
  Weighting w;
  weighting_defaults(&w, WEIGHTING_SIGMOID);
  weighting_prepare(&w);
  // reference: quadrature of 1/2 int w(l) E||eps - eps_hat||^2 dl
  double ref = 0;
  int nq = 200000;
  for (int i = 0; i < nq; i++) {
    double l = lmin + (lmax - lmin) * (i + 0.5) / nq, e = 0;
    for (int d = 0; d < D; d++) e += gm_expected_sqerr(x[d], l, mu, sd);
    ref += 0.5 * weighting_eval(&w, l) * e * (lmax - lmin) / nq;
  }
  AdaptiveSchedule ad;
  adaptive_init(&ad, lmin, lmax);
  for (int k = 0; k < ADAPTIVE_BINS; k++) ad.value[k] = 0.2 + exp(-0.5 * pow((k - 40) / 15.0, 2));
  adaptive_refresh(&ad);
  Schedule sch[3];
  schedule_defaults(&sch[0], SCHEDULE_COSINE);
  schedule_defaults(&sch[1], SCHEDULE_EDM_TRAIN);
  schedule_defaults(&sch[2], SCHEDULE_ADAPTIVE);
  sch[2].adaptive = &ad;
  double mean[3], se[3];
  float *out = malloc(sizeof(float) * D), *z = malloc(sizeof(float) * D), *eps = malloc(sizeof(float) * D);
  for (int k = 0; k < 3; k++) {
    sch[k].lambda_min = lmin;
    sch[k].lambda_max = lmax;
    CHECK(schedule_prepare(&sch[k]) == 0, "prepare");
    TestRng r = test_rng(100 + k);
    double s1 = 0, s2 = 0;
    for (int n = 0; n < N; n++) {
      double lambda, a, sg, loss;
      double weight = diffusion_loss_weight(&sch[k], &w, test_uniform(&r), &lambda);
      vp_alpha_sigma(lambda, &a, &sg);
      for (int d = 0; d < D; d++) {
        eps[d] = (float)test_normal(&r);
        z[d] = (float)(a * x[d] + sg * eps[d]);
        out[d] = (float)gm_eps_hat(z[d], lambda, mu, sd);  // eps-parameterized analytic denoiser
      }
      diffusion_loss(&loss, NULL, NULL, out, z, eps, &lambda, &weight, 1, D, PRED_EPS, 0.5, 0);
      s1 += loss;
      s2 += loss * loss;
    }
    mean[k] = s1 / N;
    se[k] = sqrt((s2 / N - mean[k] * mean[k]) / N);
    printf("invariance: %-12s L = %.6f +- %.6f (quadrature %.6f)\n", schedule_kind_name(sch[k].kind), mean[k],
           se[k], ref);
    CHECK(fabs(mean[k] - ref) < 3 * se[k] + 1e-4 * ref, "%s: MC within 3 SE of the integral",
          schedule_kind_name(sch[k].kind));
  }
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      CHECK(fabs(mean[i] - mean[j]) < 3 * sqrt(se[i] * se[i] + se[j] * se[j]), "schedules %d and %d agree", i, j);
  free(out);
  free(z);
  free(eps);
}

// Parity with an independent torch autograd implementation of eps_hat and the loss.
static void check_parity(void) {
  Fixture fx;
  if (fixture_load(&fx, "diffusion_loss.bin")) {
    CHECK(0, "fixture diffusion_loss.bin missing");
    return;
  }
  enum { B = 5, D = 7 };
  const double *lambda = fixture_get(&fx, "lambda")->data, *weight = fixture_get(&fx, "weight")->data;
  const float *z = fixture_floats(&fx, "z", B * D), *eps = fixture_floats(&fx, "eps", B * D);
  const char *names[PRED_KIND_COUNT] = {"eps", "x", "v", "F"};
  for (int k = 0; k < PRED_KIND_COUNT; k++) {
    char key[32];
    snprintf(key, sizeof key, "out_%s", names[k]);
    const float *out = fixture_floats(&fx, key, B * D);
    snprintf(key, sizeof key, "loss_%s", names[k]);
    const double *ref = fixture_get(&fx, key)->data;
    snprintf(key, sizeof key, "dout_%s", names[k]);
    const float *dref = fixture_floats(&fx, key, B * D);
    double loss[B];
    float dout[B * D] = {0};
    diffusion_loss(loss, NULL, dout, out, z, eps, lambda, weight, B, D, (PredKind)k, 0.5, 1.0 / B);
    for (int b = 0; b < B; b++) CHECK_CLOSE(loss[b], ref[b], 1e-6, 1e-9, names[k]);
    CHECK_ARRAYS(dout, dref, B * D, 1e-5, names[k]);
  }
  fixture_free(&fx);
}

int main(void) {
  check_parity();
  check_lowdisc();
  check_value_and_gradient();
  check_invariance();
  return check_finish("loss");
}
