// ELBO and bits/dim (VDM Eq. 11-17): tightness of prior + continuous diffusion
// loss for Gaussian data with the analytic optimal denoiser, the discrete-T loss
// (VDM Eq. 13-14) converging to it from above, and the bits/dim of 8-bit data
// under that model against direct numerical integration.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fixture.h"
#include "diffusion/elbo.h"
#include "diffusion/loss.h"
#include "diffusion/stable_math.h"
#include "gaussian_model.h"
#include "test_rng.h"

// 1/2 E_t[-dlambda/dt E_eps||eps - eps_hat||^2] = 1/2 int_0^1 F(t) dt, F = weight * E||.||^2,
// integrated in t through the schedule. The weight -dlambda/dt = 1/p is huge near t = 0
// where p(lambda_max) is tiny (EDM: t0 = 1e-13), so the midpoint rule runs on a
// logarithmic grid towards both ends: t = e^v / 2 and 1 - t = e^v / 2.
static double quadrature_diffusion(const Schedule *sch, const double *x, int D, double mu, double s) {
  Weighting elbo;
  weighting_defaults(&elbo, WEIGHTING_ELBO);
  weighting_prepare(&elbo);
  const int n = 40000;
  const double vmin = log(2e-20);
  double tot = 0;
  for (int half = 0; half < 2; half++)
    for (int i = 0; i < n; i++) {
      double v = vmin + (0 - vmin) * (i + 0.5) / n, u = 0.5 * exp(v);
      double t = half ? 1 - u : u;
      double lambda, w = diffusion_loss_weight(sch, &elbo, t, &lambda), e = 0;
      for (int d = 0; d < D; d++) e += gm_expected_sqerr(x[d], lambda, mu, s);
      tot += 0.5 * w * e * u * (0 - vmin) / n;  // dt = u dv
    }
  return tot;
}

static void check_tightness(void) {
  const double mu = 0.2, s = 0.45, x[5] = {-0.95, -0.3, 0.1, 0.55, 0.99};
  float xf[5];
  for (int d = 0; d < 5; d++) xf[d] = (float)x[d];
  const ScheduleKind kinds[3] = {SCHEDULE_COSINE, SCHEDULE_LINEAR, SCHEDULE_EDM_TRAIN};
  for (int k = 0; k < 3; k++) {
    Schedule sch;
    schedule_defaults(&sch, kinds[k]);
    CHECK(schedule_prepare(&sch) == 0, "prepare");
    double prior = elbo_prior_kl(xf, 5, sch.lambda_min);
    double diff = quadrature_diffusion(&sch, x, 5, mu, s);
    double analytic = gm_analytic_diffusion(x, 5, mu, s, sch.lambda_min, sch.lambda_max);
    double prior_ref = 0;
    for (int d = 0; d < 5; d++) {
      double a, sg;
      vp_alpha_sigma(sch.lambda_min, &a, &sg);
      prior_ref += gm_kl_gauss(a * xf[d], sg * sg, 0, 1);
    }
    printf("tightness %-12s: prior %.3e (ref %.3e)  diffusion %.8f  analytic %.8f  rel %.2e\n",
           schedule_kind_name(kinds[k]), prior, prior_ref, diff, analytic, fabs(diff - analytic) / analytic);
    CHECK_CLOSE(prior, prior_ref, 1e-6, 1e-30, "prior KL");
    CHECK_CLOSE(prior + diff, prior + analytic, 1e-3, 0, "prior + diffusion = analytic");
  }
  // prior KL in its stable form at lambda_min = -20 (x = 0: KL = e^{2l}/4 + ...)
  float zero = 0;
  CHECK_CLOSE(elbo_prior_kl(&zero, 1, -20), 0.25 * exp(-40), 1e-6, 0, "prior KL without cancellation");
}

// VDM Eq. 13-14 on VDM's linear-in-gamma schedule: L_2T <= L_T, and L_T -> L_inf at
// first order in 1/T (T expm1(h) with h = 40/T is 40 (1 + h/2 + ...)).
static void check_discrete(void) {
  const double mu = 0.0, s = 0.5, x[3] = {-0.7, 0.05, 0.8};
  Schedule sch;
  schedule_defaults(&sch, SCHEDULE_LINEAR);
  schedule_prepare(&sch);
  double cont = quadrature_diffusion(&sch, x, 3, mu, s), prev = INFINITY, prev_err = 0;
  for (int T = 1; T <= 4096; T *= 2) {
    double lt = 0;
    for (int i = 1; i <= T; i++) {
      double lambda, w = diffusion_discrete_weight(&sch, (i - 0.5) / T, T, &lambda), e = 0;
      CHECK_CLOSE(lambda, schedule_lambda(&sch, (double)i / T), 1e-12, 1e-12, "discrete: network sees lambda(t_i)");
      for (int d = 0; d < 3; d++) e += gm_expected_sqerr(x[d], lambda, mu, s);
      lt += 0.5 * w * e / T;
    }
    CHECK(lt <= prev * (1 + 1e-12), "L_2T <= L_T (T=%d: %.6f vs %.6f)", T, lt, prev);
    CHECK(lt >= cont * (1 - 1e-9), "L_T >= L_inf (T=%d)", T);
    double err = lt - cont;
    if (T >= 1024) CHECK_CLOSE(prev_err / err, 2.0, 0.03, 0, "first-order convergence in 1/T");
    if (T == 4096) {
      printf("discrete: L_4096 = %.6f, L_inf = %.6f\n", lt, cont);
      CHECK_CLOSE(lt, cont, 1e-2, 0, "L_T -> L_inf");
    }
    prev = lt;
    prev_err = err;
  }
}

static void check_bpd(void) {
  enum { D = 6, N = 6000, B = 64 };
  const uint8_t bytes[D] = {0, 37, 128, 200, 255, 90};
  const double mu = 0, s = 0.5;
  Schedule sch;
  schedule_defaults(&sch, SCHEDULE_COSINE);
  sch.lambda_min = -10;
  sch.lambda_max = 10;  // sigma_0/alpha_0 = e^-5: recon is far from 0 at this lambda_max
  schedule_prepare(&sch);
  Weighting elbo;
  weighting_defaults(&elbo, WEIGHTING_ELBO);
  weighting_prepare(&elbo);
  float x[D];
  double xd[D];
  elbo_encode(x, bytes, D);
  for (int d = 0; d < D; d++) xd[d] = x[d];
  double a0, s0;
  vp_alpha_sigma(sch.lambda_max, &a0, &s0);
  // direct: prior (closed form) + recon (1-D integration over z0) + diffusion (analytic)
  double direct = gm_direct_nats(bytes, D, mu, s, sch.lambda_min, sch.lambda_max, NULL);
  // Monte Carlo through the library: one z0 and B (t, eps) draws per sample
  TestRng r = test_rng(9);
  float z0[D], z[B * D], eps[B * D], out[B * D];
  double t[B], lambda[B], weight[B], loss[B], s1sum = 0, s2sum = 0;
  double prior = elbo_prior_kl(x, D, sch.lambda_min);
  for (int n = 0; n < N; n++) {
    for (int d = 0; d < D; d++) z0[d] = (float)(a0 * xd[d] + s0 * test_normal(&r));
    double nats = prior + elbo_recon_nll(z0, bytes, D, sch.lambda_max);
    lowdisc_times(t, B, 0, B, test_uniform(&r));
    for (int b = 0; b < B; b++) {
      weight[b] = diffusion_loss_weight(&sch, &elbo, t[b], &lambda[b]);
      double a, sg;
      vp_alpha_sigma(lambda[b], &a, &sg);
      for (int d = 0; d < D; d++) {
        eps[b * D + d] = (float)test_normal(&r);
        z[b * D + d] = (float)(a * xd[d] + sg * eps[b * D + d]);
        out[b * D + d] = (float)gm_eps_hat(z[b * D + d], lambda[b], mu, s);
      }
    }
    diffusion_loss(loss, NULL, NULL, out, z, eps, lambda, weight, B, D, PRED_EPS, 0.5, 0);
    for (int b = 0; b < B; b++) nats += loss[b] / B;
    double bpd = elbo_bits_per_dim(nats, D);
    s1sum += bpd;
    s2sum += bpd * bpd;
  }
  double mean = s1sum / N, se = sqrt((s2sum / N - mean * mean) / N), ref = direct / (D * DM_LN2);
  printf("bits/dim: Monte Carlo %.5f +- %.5f, direct integration %.5f\n", mean, se, ref);
  CHECK(fabs(mean - ref) < 4 * se, "bpd MC within 4 SE of direct integration");
  CHECK(se < 0.01 * ref, "bpd estimate is precise enough to mean something");
  CHECK_CLOSE(elbo_bits_per_dim(DM_LN2 * 12, 4), 3.0, 1e-15, 0, "bpd = nats / (D ln 2)");
}

static void check_recon_parity(void) {
  Fixture fx;
  if (fixture_load(&fx, "diffusion_recon.bin")) {
    CHECK(0, "fixture diffusion_recon.bin missing");
    return;
  }
  const int *k = fixture_ints(&fx, "bytes", 12);
  const float *z0 = fixture_floats(&fx, "z0", 12);
  double lmax = *(const double *)fixture_get(&fx, "lambda_max")->data;
  double ref = *(const double *)fixture_get(&fx, "nll")->data;
  uint8_t bytes[12];
  for (int i = 0; i < 12; i++) bytes[i] = (uint8_t)k[i];
  CHECK_CLOSE(elbo_recon_nll(z0, bytes, 12, lmax), ref, 1e-9, 1e-12, "recon nll vs torch log_softmax");
  fixture_free(&fx);
}

int main(void) {
  check_recon_parity();
  check_tightness();
  check_discrete();
  check_bpd();
  return check_finish("elbo");
}
