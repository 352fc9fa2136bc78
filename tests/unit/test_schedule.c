// Noise schedules (Table 4, E.3, E.3.1): inverse, normalisation, density as the
// derivative of the inverse, monotonicity, for every kind; and Table 4's printed
// closed forms checked against each other (the shifted-cosine inverse and the EDM
// training f / f^-1 columns are inconsistent with their own p(lambda) column).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/param_table.h"
#include "diffusion/adaptive.h"
#include "diffusion/schedule.h"
#include "diffusion/schedule_learned.h"
#include "diffusion/stable_math.h"

static void check_schedule(const Schedule *s, const char *what) {
  char msg[160];
  double lmin = s->lambda_min, lmax = s->lambda_max;
  CHECK_CLOSE(schedule_lambda(s, 0), lmax, 0, 1e-9, what);
  CHECK_CLOSE(schedule_lambda(s, 1), lmin, 0, 1e-9, what);
  // f^-1(f(t)) = t, including very close to the ends
  double worst_t = 0;
  for (int i = 0; i <= 1000; i++) {
    double t = i / 1000.0;
    if (i == 1) t = 1e-9;
    if (i == 999) t = 1 - 1e-9;
    double back = schedule_time(s, schedule_lambda(s, t));
    worst_t = fmax(worst_t, fabs(back - t));
  }
  snprintf(msg, sizeof msg, "%s: f^-1(f(t)) = t (worst %.3g)", what, worst_t);
  CHECK(worst_t < 1e-9, "%s", msg);
  // f(f^-1(lambda)) = lambda
  double worst_l = 0;
  for (int i = 1; i < 400; i++) {
    double l = lmin + (lmax - lmin) * i / 400.0;
    double back = schedule_lambda(s, schedule_time(s, l));
    if (schedule_density(s, l) > 1e-8) worst_l = fmax(worst_l, fabs(back - l));
  }
  CHECK(worst_l < 1e-6, "%s: f(f^-1(lambda)) = lambda (worst %.3g)", what, worst_l);
  // strictly decreasing f
  int mono = 1;
  double prev = schedule_lambda(s, 0);
  for (int i = 1; i <= 2000; i++) {
    double l = schedule_lambda(s, i / 2000.0);
    if (!(l < prev)) mono = 0;
    prev = l;
  }
  CHECK(mono, "%s: f strictly decreasing", what);
  // integral of p over [lmin, lmax] = 1 (midpoint rule aligned with the 100 adaptive bins)
  int n = 40000;
  double h = (lmax - lmin) / n, integral = 0;
  for (int i = 0; i < n; i++) integral += schedule_density(s, lmin + (i + 0.5) * h) * h;
  snprintf(msg, sizeof msg, "%s: integral of p", what);
  CHECK_CLOSE(integral, 1.0, 1e-6, 0, msg);
  CHECK(schedule_density(s, lmin - 0.1) == 0 && schedule_density(s, lmax + 0.1) == 0,
        "%s: p = 0 outside the range", what);
  // p = -d f^-1 / d lambda (central difference away from the adaptive bin edges)
  double worst_p = 0;
  for (int i = 0; i < 100; i++) {  // at the adaptive bins' centres
    double l = lmin + (lmax - lmin) * (i + 0.5) / 100.0, dh = 1e-5 * (lmax - lmin);
    double num = -(schedule_time(s, l + dh) - schedule_time(s, l - dh)) / (2 * dh);
    double p = schedule_density(s, l);
    double err = fabs(num - p) / (p + 1e-7);
    if (err > worst_p) worst_p = err;
  }
  CHECK(worst_p < 1e-4, "%s: p = -d f^-1/d lambda (worst rel %.3g)", what, worst_p);
  // dlambda/dt = -1/p
  for (int i = 1; i < 10; i++) {
    double t = i / 10.0;
    snprintf(msg, sizeof msg, "%s: dlambda/dt = -1/p at t=%.1f", what, t);
    CHECK_CLOSE(schedule_dlambda_dt(s, t), -1 / schedule_density(s, schedule_lambda(s, t)), 1e-7, 0, msg);
  }
}

static Schedule make(ScheduleKind kind) {
  Schedule s;
  schedule_defaults(&s, kind);
  return s;
}

// ---- Table 4 as printed (before truncation), transcribed independently --------------
static double printed_cos_shift_f(double t, double s) { return -2 * log(tan(DM_PI * t / 2)) + 2 * s; }
static double printed_cos_shift_finv(double l, double s) { return (2 / DM_PI) * atan(exp(-l / 2 - s)); }
static double printed_cos_shift_p(double l, double s) { return 1 / cosh(l / 2 - s) / (2 * DM_PI); }
static double printed_edm_f(double t) { return -(2.4 + 2.4 * dm_normal_quantile(t)); }  // -F_N^-1(t; 2.4, 2.4^2)
static double printed_edm_finv(double l) { return dm_normal_cdf((-l - 2.4) / 2.4); }    // F_N(-l; 2.4, 2.4^2)
static double printed_edm_p(double l) { return exp(dm_normal_log_pdf(l, 2.4, 2.4)); }
static double printed_es_f(double t) {
  double a = pow(80, 1 / 7.0), b = pow(0.002, 1 / 7.0);
  return -14 * log(a + (1 - t) * (b - a));
}
static double printed_es_finv(double l) {
  double a = pow(80, 1 / 7.0), b = pow(0.002, 1 / 7.0);
  return 1 - (exp(-l / 14) - a) / (b - a);
}
static double printed_es_p(double l) {
  double a = pow(80, 1 / 7.0), b = pow(0.002, 1 / 7.0);
  return exp(-l / 14) / (14 * (a - b));
}
static double printed_fm_f(double t) { return 2 * log((1 - t) / t); }
static double printed_fm_finv(double l) { return 1 / (1 + exp(l / 2)); }
static double printed_fm_p(double l) { return pow(1 / cosh(l / 4), 2) / 8; }

static double num_density(double (*finv)(double), double l) {
  double h = 1e-5;
  return -(finv(l + h) - finv(l - h)) / (2 * h);
}

static double shift_s;
static double shifted_finv_printed(double l) { return printed_cos_shift_finv(l, shift_s); }

static void check_table4(void) {
  // Shifted cosine: f and p agree with each other, the printed inverse does not.
  shift_s = log(64.0 / 128.0);
  Schedule s = make(SCHEDULE_COSINE);
  s.shift = shift_s;
  s.lambda_min = -60;
  s.lambda_max = 60;  // effectively untruncated (mass 1 - 4e-14)
  CHECK(schedule_prepare(&s) == 0, "prepare shifted cosine");
  double bad_inverse = 0;
  for (int i = 1; i < 20; i++) {
    double t = i / 20.0, l = printed_cos_shift_f(t, shift_s);
    CHECK_CLOSE(schedule_lambda(&s, t), l, 1e-9, 1e-9, "shifted cosine: f as printed");
    CHECK_CLOSE(schedule_density(&s, l), printed_cos_shift_p(l, shift_s), 1e-9, 0, "shifted cosine: p as printed");
    bad_inverse = fmax(bad_inverse, fabs(printed_cos_shift_finv(l, shift_s) - t));
    // our inverse is (2/pi) atan(e^{-l/2 + s})
    CHECK_CLOSE(schedule_time(&s, l), (2 / DM_PI) * atan(exp(-l / 2 + shift_s)), 1e-9, 1e-12,
                "shifted cosine: inverse = (2/pi) atan(e^{-l/2+s})");
  }
  CHECK(bad_inverse > 0.05, "Table 4's printed shifted-cosine inverse does not invert its f (err %.3g)",
        bad_inverse);
  double l0 = 1.0;
  CHECK(fabs(num_density(shifted_finv_printed, l0) - printed_cos_shift_p(l0, shift_s)) > 1e-3,
        "Table 4's printed shifted-cosine inverse is inconsistent with its p");

  // EDM training: p = N(l; 2.4, 2.4^2) (Eq. 44) is right; printed f/f^-1 have the mean's sign flipped.
  Schedule e = make(SCHEDULE_EDM_TRAIN);
  e.lambda_min = -60;
  e.lambda_max = 60;
  CHECK(schedule_prepare(&e) == 0, "prepare edm");
  for (int i = 1; i < 20; i++) {
    double t = i / 20.0, l = printed_edm_f(t);
    CHECK_CLOSE(printed_edm_finv(l), t, 1e-9, 1e-12, "EDM: printed f and f^-1 invert each other");
  }
  double l1 = 2.4;
  CHECK(fabs(num_density(printed_edm_finv, l1) - printed_edm_p(l1)) > 0.01,
        "EDM: printed f^-1 is inconsistent with the printed p (its derivative is N(l; -2.4, 2.4^2))");
  CHECK_CLOSE(num_density(printed_edm_finv, l1), exp(dm_normal_log_pdf(l1, -2.4, 2.4)), 1e-6, 0,
              "EDM: printed f^-1 has density N(l; -2.4, 2.4^2)");
  for (int i = 1; i < 20; i++) {
    double l = -10 + i;
    CHECK_CLOSE(schedule_density(&e, l), printed_edm_p(l), 1e-9, 0, "EDM: our p = N(l; 2.4, 2.4^2)");
    CHECK_CLOSE(schedule_time(&e, l), dm_normal_cdf((2.4 - l) / 2.4), 1e-9, 1e-15,
                "EDM: our f^-1 = F_N(-l; -2.4, 2.4^2)");
  }

  // EDM sampling and FM-OT: the three printed columns agree; ours matches them.
  Schedule es = make(SCHEDULE_EDM_SAMPLE);
  CHECK(schedule_prepare(&es) == 0, "prepare edm sampling");
  CHECK(fabs(es.t0) < 1e-12 && fabs(es.one_minus_t1) < 1e-12, "EDM sampling: natural range needs no truncation");
  Schedule fm = make(SCHEDULE_FM_OT);
  fm.lambda_min = -80;
  fm.lambda_max = 80;
  CHECK(schedule_prepare(&fm) == 0, "prepare fm");
  for (int i = 1; i < 20; i++) {
    double t = i / 20.0;
    double l = printed_es_f(t);
    CHECK_CLOSE(printed_es_finv(l), t, 1e-9, 1e-12, "EDM sampling printed f^-1(f(t))");
    CHECK_CLOSE(num_density(printed_es_finv, l), printed_es_p(l), 1e-6, 0, "EDM sampling printed p");
    CHECK_CLOSE(schedule_lambda(&es, t), l, 1e-9, 1e-9, "EDM sampling: ours = printed f");
    CHECK_CLOSE(schedule_density(&es, l), printed_es_p(l), 1e-9, 0, "EDM sampling: ours = printed p");
    l = printed_fm_f(t);
    CHECK_CLOSE(printed_fm_finv(l), t, 1e-9, 1e-12, "FM printed f^-1(f(t))");
    CHECK_CLOSE(num_density(printed_fm_finv, l), printed_fm_p(l), 1e-6, 0, "FM printed p");
    CHECK_CLOSE(schedule_lambda(&fm, t), l, 1e-9, 1e-9, "FM: ours = printed f");
    CHECK_CLOSE(schedule_density(&fm, l), printed_fm_p(l), 1e-9, 0, "FM: ours = printed p");
  }
  // E.3.1: truncated p = p / (t1 - t0)
  Schedule ct = make(SCHEDULE_COSINE);
  ct.lambda_min = -5;
  ct.lambda_max = 3;
  CHECK(schedule_prepare(&ct) == 0, "prepare truncated cosine");
  double t0 = (2 / DM_PI) * atan(exp(-1.5)), t1 = (2 / DM_PI) * atan(exp(2.5));
  CHECK_CLOSE(schedule_density(&ct, 0.7), (1 / cosh(0.35) / (2 * DM_PI)) / (t1 - t0), 1e-12, 0,
              "Eq. 131 truncated density");
  CHECK_CLOSE(schedule_time(&ct, 0.7), ((2 / DM_PI) * atan(exp(-0.35)) - t0) / (t1 - t0), 1e-12, 0,
              "Eq. 130 truncated inverse");
}

int main(void) {
  Schedule s;
  const ScheduleKind analytic[] = {SCHEDULE_COSINE, SCHEDULE_EDM_TRAIN, SCHEDULE_EDM_SAMPLE, SCHEDULE_FM_OT,
                                   SCHEDULE_LINEAR};
  for (size_t k = 0; k < sizeof analytic / sizeof analytic[0]; k++) {
    s = make(analytic[k]);
    CHECK(schedule_prepare(&s) == 0, "prepare %s", schedule_kind_name(analytic[k]));
    check_schedule(&s, schedule_kind_name(analytic[k]));
    // and truncated to a narrower, asymmetric range
    s.lambda_min = -7.5;
    s.lambda_max = 11;
    CHECK(schedule_prepare(&s) == 0, "prepare narrow");
    char what[64];
    snprintf(what, sizeof what, "%s [-7.5, 11]", schedule_kind_name(analytic[k]));
    check_schedule(&s, what);
  }
  // EDM sampling truncated beyond its natural range (closed form extends)
  s = make(SCHEDULE_EDM_SAMPLE);
  s.lambda_min = -20;
  s.lambda_max = 20;
  CHECK(schedule_prepare(&s) == 0, "prepare edm-sampling [-20,20]");
  check_schedule(&s, "edm-sampling [-20, 20]");
  // shifted cosine for d = 256
  s = make(SCHEDULE_COSINE);
  s.shift = schedule_shift_for_resolution(256);
  CHECK(schedule_prepare(&s) == 0, "prepare shifted");
  check_schedule(&s, "shifted-cosine d=256");
  CHECK_CLOSE(s.shift, -log(4.0), 1e-15, 0, "s = log(64/d)");

  // adaptive with uneven bins
  AdaptiveSchedule ad;
  CHECK(adaptive_init(&ad, -20, 20) == 0, "adaptive init");
  for (int k = 0; k < ADAPTIVE_BINS; k++) ad.value[k] = 0.05 + exp(-0.5 * pow((k - 60) / 12.0, 2)) + (k % 7) * 0.01;
  CHECK(adaptive_refresh(&ad) == 0, "refresh");
  s = make(SCHEDULE_ADAPTIVE);
  s.adaptive = &ad;
  CHECK(schedule_prepare(&s) == 0, "prepare adaptive");
  check_schedule(&s, "adaptive");
  // piecewise linear f: the midpoint of a bin's t-interval maps to the bin's midpoint
  double lk = -20 + 0.4 * 60, tl = schedule_time(&s, lk), tr = schedule_time(&s, lk + 0.4);
  CHECK_CLOSE(schedule_lambda(&s, 0.5 * (tl + tr)), lk + 0.2, 1e-9, 0, "adaptive: f piecewise linear");

  // learned: deterministic init, then perturbed weights
  ParamTable table;
  param_table_init(&table);
  LearnedSchedule ls;
  CHECK(learned_register(&ls, &table, "schedule", 64, -20, 20) == 0, "learned register");
  float *params = vdmc_alloc_floats(table.total);
  learned_init_params(&ls, params);
  for (size_t j = 0; j < 64; j++) params[ls.off_w3 + j] = (float)(0.5 + 3 * sin(j * 1.3) * sin(j * 1.3));
  params[ls.off_w1] = -0.3f;  // negative raw weight: used through |w|
  ls.params = params;
  s = make(SCHEDULE_LEARNED);
  s.learned = &ls;
  CHECK(schedule_prepare(&s) == 0, "prepare learned: %s", "ok");
  check_schedule(&s, "learned");
  vdmc_free_floats(params);
  param_table_free(&table);

  // bad input -> clear errors
  s = make(SCHEDULE_COSINE);
  s.lambda_min = 5;
  s.lambda_max = 5;
  CHECK(schedule_prepare(&s) != 0, "empty range rejected");
  ScheduleKind kind;
  CHECK(schedule_kind_parse("cosin", &kind, NULL) != 0, "unknown name rejected");
  CHECK(schedule_kind_parse("edm-training", &kind, NULL) == 0 && kind == SCHEDULE_EDM_TRAIN, "parse edm-training");
  int shifted = 0;
  CHECK(schedule_kind_parse("shifted-cosine", &kind, &shifted) == 0 && kind == SCHEDULE_COSINE && shifted,
        "parse shifted-cosine");

  check_table4();
  return check_finish("schedule");
}
