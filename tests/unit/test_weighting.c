// Weighting functions (Table 1, App. D, Sec. 5.1, D.2.1): monotonicity flags
// against a grid, d log w / d lambda against finite differences, EDM-monotonic's
// construction, shifted versions.
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "diffusion/stable_math.h"
#include "diffusion/weighting.h"

static Weighting make(WeightingKind kind, double shift) {
  Weighting w;
  weighting_defaults(&w, kind);
  w.shift = shift;
  CHECK(weighting_prepare(&w) == 0, "prepare %s", weighting_kind_name(kind));
  return w;
}

int main(void) {
  for (int k = 0; k < WEIGHTING_KIND_COUNT; k++) {
    const char *name = weighting_kind_name((WeightingKind)k);
    Weighting w = make((WeightingKind)k, 0);
    // monotonic (non-increasing) on [-20, 20] exactly when flagged
    int nonincreasing = 1;
    double prev = weighting_eval(&w, -20);
    for (int i = 1; i <= 4000; i++) {
      double v = weighting_eval(&w, -20 + 40.0 * i / 4000);
      if (v > prev * (1 + 1e-12)) nonincreasing = 0;
      prev = v;
    }
    CHECK(nonincreasing == weighting_is_monotonic((WeightingKind)k), "%s: monotonic flag %d, grid says %d", name,
          weighting_is_monotonic((WeightingKind)k), nonincreasing);
    // d log w / d lambda (avoiding the kinks of min-SNR at log 5 and EDM-monotonic at the peak)
    double worst = 0;
    for (int i = 0; i < 60; i++) {
      double l = -19.3 + 0.65 * i, h = 1e-6;
      if (fabs(l - log(5.0)) < 1e-3 || fabs(l - w.edm_peak) < 1e-3) continue;
      double num = (log(weighting_eval(&w, l + h)) - log(weighting_eval(&w, l - h))) / (2 * h);
      worst = fmax(worst, fabs(num - weighting_dlog(&w, l)));
    }
    CHECK(worst < 1e-6, "%s: d log w/d lambda (worst abs err %.3g)", name, worst);
    // shifted version: w_s(l) = w(l - 2s)
    double s = log(64.0 / 256.0);
    Weighting ws = make((WeightingKind)k, s);
    for (int i = 0; i < 9; i++) {
      double l = -12 + 3 * i;
      CHECK_CLOSE(weighting_eval(&ws, l), weighting_eval(&w, l - 2 * s), 1e-12, 0, "shifted weighting");
    }
    WeightingKind parsed;
    CHECK(weighting_kind_parse(name, &parsed) == 0 && parsed == (WeightingKind)k, "parse %s", name);
  }
  // Closed forms from Table 1 (constants dropped)
  Weighting edm = make(WEIGHTING_EDM, 0), mono = make(WEIGHTING_EDM_MONOTONIC, 0);
  for (int i = 0; i < 41; i++) {
    double l = -20 + i;
    double ref = exp(dm_normal_log_pdf(l, 2.4, 2.4)) * (exp(-l) + 0.25);
    CHECK_CLOSE(weighting_eval(&edm, l), ref, 1e-12, 0, "EDM = N(l;2.4,2.4^2)(e^-l + 0.5^2)");
  }
  // EDM-monotonic: constant = max EDM left of the peak, EDM to its right, never below EDM
  double peak_val = 0, peak_at = 0;
  for (int i = 0; i <= 400000; i++) {
    double l = -20 + 40.0 * i / 400000, v = weighting_eval(&edm, l);
    if (v > peak_val) peak_val = v, peak_at = l;
  }
  CHECK_CLOSE(edm.edm_peak, peak_at, 0, 2e-4, "EDM peak location");
  printf("EDM weighting peak at lambda = %.6f\n", edm.edm_peak);
  for (int i = 0; i < 41; i++) {
    double l = -20 + i, wm = weighting_eval(&mono, l), we = weighting_eval(&edm, l);
    CHECK(wm >= we * (1 - 1e-12), "EDM-monotonic >= EDM at %g", l);
    if (l < edm.edm_peak) CHECK_CLOSE(wm, peak_val, 1e-9, 0, "EDM-monotonic constant left of the peak");
    else CHECK_CLOSE(wm, we, 1e-12, 0, "EDM-monotonic = EDM right of the peak");
  }
  Weighting sig = make(WEIGHTING_SIGMOID, 0), indi = make(WEIGHTING_INDI, 0), p2 = make(WEIGHTING_P2, 0),
            ms = make(WEIGHTING_MIN_SNR, 0), id = make(WEIGHTING_IDDPM, 0), v = make(WEIGHTING_V, 0);
  for (int i = 0; i < 41; i++) {
    double l = -20 + i;
    CHECK_CLOSE(weighting_eval(&sig, l), 1 / (1 + exp(l - 2)), 1e-12, 0, "sigmoid(-l + 2)");
    CHECK_CLOSE(weighting_eval(&indi, l), exp(-l) / pow(cosh(l / 4), 2), 1e-12, 0, "InDI");
    CHECK_CLOSE(weighting_eval(&p2, l), 1 / cosh(l / 2) / (1 + exp(l)), 1e-12, 0, "P2 k=1 gamma=1");
    CHECK_CLOSE(weighting_eval(&ms, l), fmin(1, 5 * exp(-l)) / cosh(l / 2), 1e-12, 0, "min-SNR-5");
    CHECK_CLOSE(weighting_eval(&id, l), 1 / cosh(l / 2), 1e-12, 0, "IDDPM");
    CHECK_CLOSE(weighting_eval(&v, l), exp(-l / 2), 1e-12, 0, "v-prediction");
  }
  WeightingKind kind;
  CHECK(weighting_kind_parse("sigmod", &kind) != 0, "unknown weighting rejected");
  return check_finish("weighting");
}
