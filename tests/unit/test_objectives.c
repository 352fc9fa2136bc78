// Each objective of Table 1 written in its own native form (its own forward
// process, network output, target, loss weight and noise distribution) equals
// 1/2 w(lambda) ||eps - eps_hat||^2 per lambda, with w from weighting.c, up to a
// constant factor that we derive and check. This is where Eq. 57 (v-prediction:
// the factor is 1/pi, not pi) and Eq. 60 (shifted cosine + v-loss is NOT a
// constant multiple of e^{-l/2}) are caught.
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "diffusion/parameterization.h"
#include "diffusion/stable_math.h"
#include "diffusion/weighting.h"
#include "test_rng.h"

#define D 8

typedef struct {
  double x[D], eps[D], out[D];  // data, noise, raw network output (any values)
} Sample;

// densities of lambda (before truncation) of the two time-uniform processes used natively
static double p_cosine(double l) { return 1 / cosh(l / 2) / (2 * DM_PI); }
static double p_fm(double l) { return pow(1 / cosh(l / 4), 2) / 8; }

static double sq(const double *a, const double *b) {
  double s = 0;
  for (int i = 0; i < D; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

// 1/2 w(l) ||eps - eps_hat||^2 with eps_hat from our VP parameterization of `out`
static double ours(const Sample *s, double l, PredKind kind, const Weighting *w) {
  double a, sg, z[D], eh[D];
  vp_alpha_sigma(l, &a, &sg);
  PredCoef c = pred_coef(kind, l, 0.5);
  for (int i = 0; i < D; i++) {
    z[i] = a * s->x[i] + sg * s->eps[i];
    eh[i] = c.eps_z * z[i] + c.eps_out * s->out[i];
  }
  return 0.5 * weighting_eval(w, l) * sq(s->eps, eh);
}

// 1/2 w(l) ||eps - eps_hat||^2 for a given eps_hat
static double ours_eps(const Sample *s, const double *eh, double l, const Weighting *w) {
  return 0.5 * weighting_eval(w, l) * sq(s->eps, eh);
}

typedef double (*NativeFn)(const Sample *s, double l, double *ours_out);

static Weighting wk(WeightingKind k) {
  Weighting w;
  weighting_defaults(&w, k);
  weighting_prepare(&w);
  return w;
}

// IDDPM (Eq. 3): 1/2 ||eps_hat - eps||^2, t ~ U, cosine schedule; net outputs eps_hat.
static double native_iddpm(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_IDDPM);
  *o = ours(s, l, PRED_EPS, &w);
  return p_cosine(l) * 0.5 * sq(s->out, s->eps);
}

// v-prediction (D.2): ||v - v_hat||^2, v = alpha eps - sigma x, cosine; net outputs v_hat.
static double native_v(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_V);
  *o = ours(s, l, PRED_V, &w);
  double a, sg, v[D];
  vp_alpha_sigma(l, &a, &sg);
  for (int i = 0; i < D; i++) v[i] = a * s->eps[i] - sg * s->x[i];
  return p_cosine(l) * sq(v, s->out);
}

// EDM (D.1, Eq. 40-42) in its own VE form: sigma~ = e^{-l/2}, z = x + sigma~ eps,
// D(z) = c_skip z + c_out F, loss w~(sigma~) ||x - D||^2, log sigma~ ~ N(-1.2, 1.2^2).
static double native_edm(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_EDM);
  *o = ours(s, l, PRED_F, &w);
  double sd = 0.5, st = exp(-l / 2), den = st * st + sd * sd;
  double cskip = sd * sd / den, cout = st * sd / sqrt(den), wt = den / (st * st * sd * sd);
  double dx[D];
  for (int i = 0; i < D; i++) dx[i] = cskip * (s->x[i] + st * s->eps[i]) + cout * s->out[i];
  // density of l = -2 log sigma~: p_logsigma(-l/2) * 1/2
  double p = 0.5 * exp(dm_normal_log_pdf(-l / 2, -1.2, 1.2));
  // our x_hat from the same F must equal EDM's denoiser output
  double a, sg;
  vp_alpha_sigma(l, &a, &sg);
  PredCoef c = pred_coef(PRED_F, l, sd);
  for (int i = 0; i < D; i++) {
    double x_ours = c.x_z * (a * s->x[i] + sg * s->eps[i]) + c.x_out * s->out[i];
    CHECK_CLOSE(x_ours, dx[i], 1e-9, 1e-9, "F parameterization: x_hat = EDM's D(z/alpha; sigma~)");
  }
  return p * wt * sq(s->x, dx);
}

// Flow matching OT (D.3): z = (1-t) x + t eps, t = sigmoid(-l/2), o = x - eps,
// loss ||o - o_hat||^2, t ~ U; net outputs o_hat; eps_hat = z - (1-t) o_hat.
static double native_cfm(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_FM_OT);
  double t = 1 / (1 + exp(l / 2)), ov[D], eh[D];
  for (int i = 0; i < D; i++) {
    ov[i] = s->x[i] - s->eps[i];
    eh[i] = (1 - t) * s->x[i] + t * s->eps[i] - (1 - t) * s->out[i];
  }
  *o = ours_eps(s, eh, l, &w);
  return p_fm(l) * sq(ov, s->out);
}

// InDI (D.4): same process, x-prediction loss ||x - x_hat||^2; eps_hat = (z - (1-t) x_hat)/t.
static double native_indi(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_INDI);
  double t = 1 / (1 + exp(l / 2)), eh[D];
  for (int i = 0; i < D; i++) eh[i] = ((1 - t) * s->x[i] + t * s->eps[i] - (1 - t) * s->out[i]) / t;
  *o = ours_eps(s, eh, l, &w);
  return p_fm(l) * sq(s->x, s->out);
}

// min-SNR-gamma (D.6, Eq. 93): min(e^l, 5) ||x - x_hat||^2, cosine; net outputs x_hat.
static double native_minsnr(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_MIN_SNR);
  *o = ours(s, l, PRED_X, &w);
  return p_cosine(l) * fmin(exp(l), 5.0) * sq(s->x, s->out);
}

// P2 (D.5, Eq. 92): ||eps - eps_hat||^2 / (k + e^l)^gamma, cosine, k = gamma = 1.
static double native_p2(const Sample *s, double l, double *o) {
  Weighting w = wk(WEIGHTING_P2);
  *o = ours(s, l, PRED_EPS, &w);
  return p_cosine(l) * sq(s->out, s->eps) / (1 + exp(l));
}

static void check_objective(const char *name, NativeFn fn, double expected_ratio) {
  TestRng r = test_rng(7);
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i <= 60; i++) {
    double l = -15 + 0.5 * i;
    for (int rep = 0; rep < 3; rep++) {
      Sample s;
      for (int j = 0; j < D; j++) {
        s.x[j] = 2 * test_uniform(&r) - 1;
        s.eps[j] = test_normal(&r);
        s.out[j] = test_normal(&r);
      }
      double o, n = fn(&s, l, &o);
      double ratio = n / o;
      lo = fmin(lo, ratio);
      hi = fmax(hi, ratio);
    }
  }
  printf("%-14s native / (1/2 w ||eps - eps_hat||^2) in [%.12g, %.12g], expected %.12g\n", name, lo, hi,
         expected_ratio);
  CHECK_CLOSE(lo, expected_ratio, 1e-8, 0, name);
  CHECK_CLOSE(hi, expected_ratio, 1e-8, 0, name);
}

int main(void) {
  check_objective("IDDPM", native_iddpm, 1 / (2 * DM_PI));
  check_objective("v-prediction", native_v, 2 / DM_PI);  // w = (e^-l + 1) p = e^{-l/2} / pi
  check_objective("EDM", native_edm, 8.0);               // 2 / sigma_data^2
  check_objective("FM-OT (CFM)", native_cfm, 1.0);
  check_objective("InDI", native_indi, 0.25);
  check_objective("min-SNR-5", native_minsnr, 1 / DM_PI);
  check_objective("P2", native_p2, 1 / DM_PI);

  // Eq. 55-57: (e^-l + 1) sech(l/2)/(2 pi) = e^{-l/2} / pi, not pi e^{-l/2} as Eq. 57 prints.
  for (int i = 0; i < 9; i++) {
    double l = -12 + 3 * i, w = (exp(-l) + 1) * p_cosine(l);
    CHECK_CLOSE(w, exp(-l / 2) / DM_PI, 1e-12, 0, "Eq. 56 = e^{-l/2}/pi");
    CHECK(fabs(w - DM_PI * exp(-l / 2)) > 0.5 * w, "Eq. 57's factor pi is wrong");
  }
  // D.2.1, Eq. 59-60: with the shifted cosine the v-loss weighting (e^-l + 1) p_s(l) is
  // NOT a constant times e^{-l/2}: the ratio moves from e^{-s}/pi (l << 2s) to e^{s}/pi (l >> 2s).
  double s = log(64.0 / 256.0), rmin = INFINITY, rmax = 0;
  for (int i = 0; i <= 40; i++) {
    double l = -20 + i, w = (exp(-l) + 1) / cosh(l / 2 - s) / (2 * DM_PI), r = w / exp(-l / 2);
    rmin = fmin(rmin, r);
    rmax = fmax(rmax, r);
  }
  printf("shifted cosine v-loss: w / e^{-l/2} ranges over [%.6g, %.6g] (Eq. 60 claims constant %.6g)\n", rmin,
         rmax, (2 / DM_PI) * exp(-s));
  CHECK_CLOSE(rmin, exp(s) / DM_PI, 1e-3, 0, "shifted: ratio at l >> 2s is e^s/pi");
  CHECK_CLOSE(rmax, exp(-s) / DM_PI, 1e-3, 0, "shifted: ratio at l << 2s is e^-s/pi");
  CHECK(rmax / rmin > 10, "Eq. 60 is not a constant multiple of e^{-l/2} for s != 0");
  return check_finish("objectives");
}
