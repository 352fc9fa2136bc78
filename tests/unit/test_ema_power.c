// Power-function EMA and its post-hoc reconstruction (src/optim/ema_power.h,
// ema_posthoc.h; docs/training.md "Post-hoc EMA"):
//  - sigma_rel(gamma) against the profile's moments in closed form, the inverse
//    against edm2's published pairs and by round trip;
//  - the tracked betas give each step exactly the integral of the profile over it
//    (any batch sizes), and the inner product against quadrature;
//  - (a) a stored profile is reconstructed exactly from a set that contains it;
//  - (b) weights following polynomials in t, tracked in float32 by the training
//    code's update: the reconstruction error for stds between and beyond the tracked
//    ones, against the exact EMA, stays below the derived bound.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/status.h"
#include "optim/ema.h"
#include "optim/ema_posthoc.h"
#include "optim/ema_power.h"

static void test_std_gamma(void) {
  const double gammas[] = {0.25, 1, 3, 6.94, 16.97, 50, 300, 5000};
  for (int i = 0; i < 8; i++) {
    double g = gammas[i];
    // the profile (g+1) u^g on [0, 1]: E[u] = (g+1)/(g+2), E[u^2] = (g+1)/(g+3)
    double mean = (g + 1) / (g + 2), var = (g + 1) / (g + 3) - mean * mean;
    // E[u^2] - E[u]^2 cancels: var keeps about 1e-16 mean^2 / var of its relative precision
    CHECK_CLOSE(ema_power_std(g), sqrt(var), 1e-15 * mean * mean / var, 0, "sigma_rel against the moments");
    CHECK_CLOSE(ema_power_gamma(ema_power_std(g)), g, 1e-10, 0, "gamma(sigma_rel(gamma))");
  }
  // edm2 (Karras et al. 2024, section 3.1): sigma_rel 0.05 and 0.10 are gamma 16.97 and 6.94
  CHECK_CLOSE(ema_power_gamma(0.05), 16.97, 0, 0.005, "gamma of 0.05");
  CHECK_CLOSE(ema_power_gamma(0.10), 6.94, 0, 0.005, "gamma of 0.10");
  CHECK(ema_power_check_stds((double[]){0.05, 0.1}, 2, "t") == VDMC_OK, "0.05, 0.1 accepted");
  CHECK(ema_power_check_stds((double[]){0.05, 0.05}, 2, "t") == VDMC_ERR_INPUT, "duplicate refused");
  CHECK(ema_power_check_stds((double[]){0.3}, 1, "t") == VDMC_ERR_INPUT, "0.3 refused");
  CHECK(ema_power_check_stds((double[]){0.1, 0.2, 0.03, 0.04, 0.05}, 5, "t") == VDMC_ERR_INPUT, "5 refused");
}

// The weight of step k in the EMA after K steps is (t_k^(g+1) - t_(k-1)^(g+1)) / T^(g+1).
static void test_betas_telescope(void) {
  const double g = ema_power_gamma(0.07);
  const int K = 30;
  double t[31] = {0}, w[30];
  for (int k = 1; k <= K; k++) t[k] = t[k - 1] + 16 + 48 * (k % 3);  // batch sizes 16, 64, 112
  for (int j = 0; j < K; j++) {  // the EMA of the indicator of step j, in float64
    double e = 12345;            // the initial value must get weight 0
    for (int k = 1; k <= K; k++) {
      double beta = ema_power_beta(g, t[k], t[k] - t[k - 1]);
      e = (k - 1 == j) + beta * (e - (k - 1 == j));
    }
    w[j] = e;
    double exact = (pow(t[j + 1], g + 1) - pow(t[j], g + 1)) / pow(t[K], g + 1);
    CHECK_CLOSE(w[j], exact, 1e-12, 1e-15, "weight of one step");
  }
  // inner products against a midpoint rule on [0, min t]
  double ta = 3000, tb = 7000, ga = ema_power_gamma(0.05), gb = ema_power_gamma(0.12), q = 0;
  const int N = 2000000;
  for (int i = 0; i < N; i++) {
    double u = (i + 0.5) * ta / N;
    q += (ga + 1) * pow(u, ga) / pow(ta, ga + 1) * (gb + 1) * pow(u, gb) / pow(tb, gb + 1);
  }
  q *= ta / N;
  CHECK_CLOSE(ema_power_inner(ta, ga, tb, gb), q, 1e-8, 0, "inner product a before b");
  CHECK_CLOSE(ema_power_inner(tb, gb, ta, ga), q, 1e-8, 0, "inner product b before a");
}

// (a) the target is one of the stored profiles: the weights are that unit vector.
static void test_reproduces_stored(void) {
  EmaProfile in[12];
  for (int k = 0; k < 6; k++) {
    in[2 * k] = (EmaProfile){1000.0 * (k + 1), ema_power_gamma(0.05)};
    in[2 * k + 1] = (EmaProfile){1000.0 * (k + 1), ema_power_gamma(0.10)};
  }
  for (int target = 0; target < 12; target++) {
    double x[12];
    EmaPosthocFit fit;
    CHECK(ema_posthoc_solve(in, 12, in[target], x, &fit) == VDMC_OK, "solve %d: %s", target, vdmc_error_message());
    double worst = 0;
    for (int i = 0; i < 12; i++) worst = fmax(worst, fabs(x[i] - (i == target)));
    CHECK(worst < 1e-9 && fit.residual < 1e-6, "stored profile %d: weights off by %.3g, residual %.3g", target,
          worst, fit.residual);
  }
  double x[2];
  EmaPosthocFit fit;
  EmaProfile same[2] = {{1000, 5}, {1000, 5}};
  CHECK(ema_posthoc_solve(same, 2, same[0], x, &fit) == VDMC_ERR_NUMERIC, "a duplicated profile is refused");
}

// (b) Trajectory theta_j(t) = polynomial in u = t / T_end, constant over each step
// (the params after step k hold from t_(k-1) to t_k). Tracked in float32 by
// ema_update with ema_power_beta as the trainer does; the exact EMA of the target
// profile is the closed-form sum of theta(t_k) times the step weights, in float64.
#define NPAR 3
static double theta(int j, double u) {
  switch (j) {
    case 0: return 1 - 2 * u + 3 * u * u;
    case 1: return u * u * u;
    default: return 0.5 - u * (1 - u) + 0.25 * u * u * u * u;
  }
}

static void test_polynomial_trajectory(void) {
  const int K = 400, B = 64, every = 25;  // 400 steps of 64 images, a snapshot every 1600 images
  const double tracked[2] = {0.05, 0.10}, T = (double)K * B;
  EmaProfile in[2 * 16];
  float snaps[2 * 16][NPAR], ema[2][NPAR] = {{0}}, p[NPAR];
  int n = 0;
  for (int k = 1; k <= K; k++) {
    for (int j = 0; j < NPAR; j++) p[j] = (float)theta(j, k * B / T);
    for (int s = 0; s < 2; s++) ema_update(ema[s], p, NPAR, ema_power_beta(ema_power_gamma(tracked[s]), k * B, B));
    if (k % every == 0)
      for (int s = 0; s < 2; s++, n++) {
        in[n] = (EmaProfile){(double)k * B, ema_power_gamma(tracked[s])};
        for (int j = 0; j < NPAR; j++) snaps[n][j] = ema[s][j];
      }
  }
  const double targets[] = {0.02, 0.035, 0.05, 0.065, 0.08, 0.10, 0.13, 0.16, 0.2, 0.25};
  printf("post-hoc EMA of polynomial trajectories, %d steps, %d snapshots of stds 0.05 and 0.10:\n", K, n / 2);
  printf("  std    residual   cond      max error  bound\n");
  for (int c = 0; c < 10; c++) {
    double g = ema_power_gamma(targets[c]), x[32];
    EmaPosthocFit fit;
    if (ema_posthoc_solve(in, n, (EmaProfile){T, g}, x, &fit)) {
      CHECK(0, "solve for %g: %s", targets[c], vdmc_error_message());
      continue;
    }
    double sum_abs_x = 0, worst = 0, bound = 0;
    for (int i = 0; i < n; i++) sum_abs_x += fabs(x[i]);
    double qnorm = sqrt(ema_power_inner(T, g, T, g));
    for (int j = 0; j < NPAR; j++) {
      double exact = 0, recon = 0, mean = 0, var = 0, maxabs = 0;
      for (int k = 1; k <= K; k++) {
        double v = theta(j, k * B / T), wk = (pow(k * B, g + 1) - pow((k - 1.0) * B, g + 1)) / pow(T, g + 1);
        exact += wk * (double)(float)v;  // the float32 weights the trainer sees
        mean += v * B / T;
        maxabs = fmax(maxabs, fabs(v));
      }
      for (int k = 1; k <= K; k++) var += pow(theta(j, k * B / T) - mean, 2) * B;
      for (int i = 0; i < n; i++) recon += x[i] * snaps[i][j];
      // Cauchy-Schwarz on the profile residual, plus float32 rounding of the tracked
      // EMAs (at most 2 ulps per update, never amplified since beta <= 1) times sum |x|
      double b = fit.residual * qnorm * sqrt(var) + sum_abs_x * K * 2 * 0x1p-24 * maxabs;
      worst = fmax(worst, fabs(recon - exact));
      bound = fmax(bound, b);
      CHECK(fabs(recon - exact) <= b, "std %g param %d: error %.3g above the bound %.3g", targets[c], j,
            fabs(recon - exact), b);
    }
    printf("  %.3f  %.3e  %.2e  %.3e  %.3e\n", targets[c], fit.residual, fit.condition, worst, bound);
  }
}

// The Gram matrix of equally spaced snapshots grows ill-conditioned like n^4; the
// numbers quoted in docs/training.md and a run's worth of snapshots still solving.
static void test_conditioning(void) {
  const int counts[] = {16, 64, 256};
  for (int c = 0; c < 3; c++) {
    int n = counts[c];
    EmaProfile in[512];
    double x[512];
    for (int k = 0; k < n; k++) {
      in[2 * k] = (EmaProfile){k + 1.0, ema_power_gamma(0.05)};
      in[2 * k + 1] = (EmaProfile){k + 1.0, ema_power_gamma(0.10)};
    }
    EmaPosthocFit fit = {0};
    int rc = ema_posthoc_solve(in, 2 * n, (EmaProfile){n, ema_power_gamma(0.07)}, x, &fit);
    printf("%d snapshots of 0.05 and 0.10, std 0.07: condition %.3g, residual %.3g\n", n, fit.condition, fit.residual);
    CHECK(rc == VDMC_OK && fit.condition < 1e10 && fit.residual < 0.01, "%d snapshots: rc %d, condition %g", n, rc,
          fit.condition);
  }
}

int main(void) {
  test_std_gamma();
  test_betas_telescope();
  test_reproduces_stored();
  test_polynomial_trajectory();
  test_conditioning();
  return check_finish("ema_power");
}
