// Adaptive noise schedule (App. F, H): the per-observation EMA update, its
// independence of how observations are split over ranks, and convergence of
// p(lambda) to E[w ||eps - eps_hat||^2] on a synthetic noisy loss curve.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "diffusion/adaptive.h"
#include "diffusion/loss.h"
#include "diffusion/schedule.h"
#include "test_rng.h"

static double curve_wide(double l) { return 0.05 + exp(-(l - 2) * (l - 2) / 20); }
static double curve_sigmoid(double l) { return (1 / (1 + exp(l - 2))) * (0.3 + exp(-l * l / 50)); }

// bin average of g
static double bin_mean(double (*g)(double), double lo, double hi) {
  double s = 0;
  for (int i = 0; i < 200; i++) s += g(lo + (hi - lo) * (i + 0.5) / 200);
  return s / 200;
}

static void run_convergence(double (*g)(double), const char *name, int steps) {
  AdaptiveSchedule ad;
  CHECK(adaptive_init(&ad, -20, 20) == 0, "init");
  Schedule s;
  schedule_defaults(&s, SCHEDULE_ADAPTIVE);
  s.adaptive = &ad;
  CHECK(schedule_prepare(&s) == 0, "prepare");
  enum { B = 256 };
  TestRng r = test_rng(42);
  double t[B], lambda[B], value[B];
  for (int step = 0; step < steps; step++) {
    lowdisc_times(t, B, 0, B, test_uniform(&r));
    for (int i = 0; i < B; i++) {
      lambda[i] = schedule_lambda(&s, t[i]);
      double chi = 0;  // chi^2_4 / 4: a noisy observation with mean g(lambda)
      for (int j = 0; j < 4; j++) {
        double n = test_normal(&r);
        chi += n * n / 4;
      }
      value[i] = g(lambda[i]) * chi;
    }
    double sum[ADAPTIVE_BINS] = {0}, count[ADAPTIVE_BINS] = {0};
    adaptive_accumulate(&ad, sum, count, lambda, value, B);
    CHECK(adaptive_update(&ad, sum, count) == 0, "update");
  }
  // compare the normalised density with the normalised bin means of g
  double gm[ADAPTIVE_BINS], gtot = 0, h = 40.0 / ADAPTIVE_BINS, gmax = 0;
  for (int k = 0; k < ADAPTIVE_BINS; k++) {
    gm[k] = bin_mean(g, -20 + k * h, -20 + (k + 1) * h);
    gtot += gm[k] * h;
    gmax = fmax(gmax, gm[k]);
  }
  double l1 = 0, worst = 0;
  for (int k = 0; k < ADAPTIVE_BINS; k++) {
    double p = schedule_density(&s, -20 + (k + 0.5) * h), q = gm[k] / gtot;
    l1 += fabs(p - q) * h;
    if (gm[k] > 0.05 * gmax) worst = fmax(worst, fabs(p - q) / q);
  }
  printf("adaptive %-8s after %d steps x %d: L1(p, g/Z) = %.4f, worst rel err where g > 5%% max = %.4f\n", name,
         steps, B, l1, worst);
  CHECK(l1 < 0.03, "%s: p converges to g/Z in L1 (%.4f)", name, l1);
  CHECK(worst < 0.08, "%s: per-bin relative error (%.4f)", name, worst);
}

int main(void) {
  AdaptiveSchedule a, b;
  CHECK(adaptive_init(&a, -20, 20) == 0, "init");
  CHECK(adaptive_init(&b, 20, -20) != 0, "empty range rejected");
  CHECK_CLOSE(adaptive_density(&a, 3.3), 1.0 / 40, 1e-14, 0, "initial p uniform");
  CHECK(adaptive_bin(&a, -20) == 0 && adaptive_bin(&a, 20) == 99 && adaptive_bin(&a, -19.61) == 0 &&
            adaptive_bin(&a, -19.59) == 1,
        "bin indexing");
  // n observations of the same value in one update == n sequential single updates
  b = a;
  double sum[ADAPTIVE_BINS] = {0}, cnt[ADAPTIVE_BINS] = {0};
  double lam[3] = {0.1, 0.2, 0.3}, val[3] = {5, 5, 5};
  adaptive_accumulate(&a, sum, cnt, lam, val, 3);
  adaptive_update(&a, sum, cnt);
  for (int i = 0; i < 3; i++) {
    double s1[ADAPTIVE_BINS] = {0}, c1[ADAPTIVE_BINS] = {0};
    adaptive_accumulate(&b, s1, c1, &lam[i], &val[i], 1);
    adaptive_update(&b, s1, c1);
  }
  int k = adaptive_bin(&a, 0.2);
  CHECK_CLOSE(a.value[k], b.value[k], 1e-14, 0, "decay once per observation");
  CHECK_CLOSE(a.value[k], pow(0.999, 3) + (1 - pow(0.999, 3)) * 5, 1e-14, 0, "EMA value");
  CHECK(a.value[0] == 1.0, "untouched bins keep their value");
  // ranks add their sums and counts before the update: same as one rank
  AdaptiveSchedule one, two;
  adaptive_init(&one, -20, 20);
  two = one;
  double lams[6] = {-19, -3, 0.2, 0.25, 7, 19.9}, vals[6] = {1, 2, 3, 4, 5, 6};
  double s_all[ADAPTIVE_BINS] = {0}, c_all[ADAPTIVE_BINS] = {0}, s_r[ADAPTIVE_BINS] = {0}, c_r[ADAPTIVE_BINS] = {0};
  adaptive_accumulate(&one, s_all, c_all, lams, vals, 6);
  adaptive_accumulate(&two, s_r, c_r, lams, vals, 2);          // rank 0
  adaptive_accumulate(&two, s_r, c_r, lams + 2, vals + 2, 4);  // rank 1 (summed: the allreduce)
  adaptive_update(&one, s_all, c_all);
  adaptive_update(&two, s_r, c_r);
  CHECK(memcmp(one.value, two.value, sizeof one.value) == 0, "rank split does not matter");
  double bad[ADAPTIVE_BINS] = {0}, badc[ADAPTIVE_BINS] = {0};
  bad[3] = NAN;
  badc[3] = 1;
  CHECK(adaptive_update(&one, bad, badc) != 0, "non-finite loss rejected");

  run_convergence(curve_wide, "wide", 16000);
  run_convergence(curve_sigmoid, "sigmoid", 16000);
  return check_finish("adaptive");
}
