#include "diffusion/schedule_learned.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/stable_math.h"

int learned_register(LearnedSchedule *ls, ParamTable *table, const char *prefix,
                     size_t n_features, double lambda_min, double lambda_max) {
  if (!(lambda_min < lambda_max) || n_features == 0)
    return vdmc_fail(VDMC_ERR_INPUT, "learned schedule: need lambda_min < lambda_max and n_features > 0");
  ls->lambda_min = lambda_min;
  ls->lambda_max = lambda_max;
  ls->n_features = n_features;
  ls->params = NULL;
  struct { const char *suffix; size_t numel; size_t *off; } t[5] = {
      {"l1.weight", 1, &ls->off_w1},          {"l1.bias", 1, &ls->off_b1},
      {"l2.weight", n_features, &ls->off_w2}, {"l2.bias", n_features, &ls->off_b2},
      {"l3.weight", n_features, &ls->off_w3}};
  for (int i = 0; i < 5; i++) {
    char name[PARAM_NAME_LEN];
    snprintf(name, sizeof name, "%s.%s", prefix, t[i].suffix);
    int rc = param_table_add(table, name, 1, &t[i].numel, 0, t[i].off);
    if (rc) return rc;
  }
  return VDMC_OK;
}

int learned_create(LearnedSchedule *ls, ParamTable *table, float **params, double lambda_min,
                   double lambda_max) {
  param_table_init(table);
  *params = NULL;
  int rc = learned_register(ls, table, LEARNED_PREFIX, LEARNED_FEATURES, lambda_min, lambda_max);
  if (!rc && !(*params = vdmc_alloc_floats(table->total)))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the learned schedule");
  if (rc) {
    param_table_free(table);
    return rc;
  }
  learned_init_params(ls, *params);
  ls->params = *params;
  return VDMC_OK;
}

int learned_state_create(LearnedState *s, double lambda_min, double lambda_max) {
  memset(s, 0, sizeof *s);
  int rc = learned_create(&s->ls, &s->table, &s->params, lambda_min, lambda_max);
  if (rc) return rc;
  size_t n = s->table.total;
  s->adam_m = vdmc_alloc_floats(n);
  s->adam_v = vdmc_alloc_floats(n);
  s->packed = calloc(3 * n, sizeof(double));
  if (!s->adam_m || !s->adam_v || !s->packed) {
    learned_state_free(s);
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the learned schedule");
  }
  memset(s->adam_m, 0, n * sizeof(float));
  memset(s->adam_v, 0, n * sizeof(float));
  return VDMC_OK;
}

void learned_state_free(LearnedState *s) {
  vdmc_free_floats(s->params);
  vdmc_free_floats(s->adam_m);
  vdmc_free_floats(s->adam_v);
  free(s->packed);
  param_table_free(&s->table);
  memset(s, 0, sizeof *s);
}

void learned_state_pack(LearnedState *s) {
  size_t n = s->table.total;
  for (size_t i = 0; i < n; i++) {
    s->packed[i] = s->params[i];
    s->packed[n + i] = s->adam_m[i];
    s->packed[2 * n + i] = s->adam_v[i];
  }
}

void learned_state_unpack(LearnedState *s) {
  size_t n = s->table.total;
  for (size_t i = 0; i < n; i++) {
    s->params[i] = (float)s->packed[i];
    s->adam_m[i] = (float)s->packed[n + i];
    s->adam_v[i] = (float)s->packed[2 * n + i];
  }
}

void learned_init_params(const LearnedSchedule *ls, float *p) {
  const double golden = 0.6180339887498949;
  p[ls->off_w1] = 1.0f;
  p[ls->off_b1] = 0.0f;
  for (size_t j = 0; j < ls->n_features; j++) {
    double a = fmod((j + 1) * golden, 1.0), c = fmod((j + 1) * golden * golden, 1.0);
    double slope = 1 + 4 * a, centre = 2 * c - 1;  // in the l2 input u = 2t - 1
    p[ls->off_w2 + j] = (float)slope;
    p[ls->off_b2 + j] = (float)(-slope * centre);
    p[ls->off_w3 + j] = 0.01f;
  }
}

// gamma~(t) and gamma~'(t)
static void net_eval(const LearnedSchedule *ls, double t, double *g, double *dg) {
  const float *p = ls->params;
  double u = 2 * t - 1, n = (double)ls->n_features, s = 0, ds = 0;
  for (size_t j = 0; j < ls->n_features; j++) {
    double s2 = fabs(p[ls->off_w2 + j]), s3 = fabs(p[ls->off_w3 + j]);
    double phi = dm_sigmoid(s2 * u + p[ls->off_b2 + j]);
    s += s3 * phi;
    ds += s3 * s2 * phi * (1 - phi);
  }
  double s1 = fabs(p[ls->off_w1]);
  if (g) *g = s1 * t + p[ls->off_b1] + s / n;
  if (dg) *dg = s1 + 2 * ds / n;
}

static double sign_of(float w) { return w > 0 ? 1.0 : (w < 0 ? -1.0 : 0.0); }

// grad += a * d gamma~(t)/d params + b * d gamma~'(t)/d params
static void net_accumulate(const LearnedSchedule *ls, float *grad, double t, double a, double b) {
  const float *p = ls->params;
  double u = 2 * t - 1, n = (double)ls->n_features;
  grad[ls->off_w1] += (float)(sign_of(p[ls->off_w1]) * (a * t + b));
  grad[ls->off_b1] += (float)a;
  for (size_t j = 0; j < ls->n_features; j++) {
    float w2 = p[ls->off_w2 + j], w3 = p[ls->off_w3 + j];
    double s2 = fabs(w2), s3 = fabs(w3);
    double phi = dm_sigmoid(s2 * u + p[ls->off_b2 + j]);
    double d1 = phi * (1 - phi), d2 = d1 * (1 - 2 * phi);
    double g_w3 = a * phi / n + b * 2 * s2 * d1 / n;
    double g_b2 = a * s3 * d1 / n + b * 2 * s3 * s2 * d2 / n;
    double g_s2 = a * s3 * d1 * u / n + b * 2 * s3 * (d1 + s2 * d2 * u) / n;
    grad[ls->off_w3 + j] += (float)(sign_of(w3) * g_w3);
    grad[ls->off_b2 + j] += (float)g_b2;
    grad[ls->off_w2 + j] += (float)(sign_of(w2) * g_s2);
  }
}

int learned_check(const LearnedSchedule *ls) {
  if (!ls->params) return vdmc_fail(VDMC_ERR_INTERNAL, "learned schedule: parameters not attached");
  double g0, g1;
  net_eval(ls, 0, &g0, NULL);
  net_eval(ls, 1, &g1, NULL);
  if (!(g1 > g0) || !isfinite(g1 - g0))
    return vdmc_fail(VDMC_ERR_NUMERIC, "learned schedule: degenerate network, gamma(1) - gamma(0) = %g", g1 - g0);
  return VDMC_OK;
}

double learned_lambda(const LearnedSchedule *ls, double t) {
  double g0, g1, g;
  net_eval(ls, 0, &g0, NULL);
  net_eval(ls, 1, &g1, NULL);
  net_eval(ls, t, &g, NULL);
  return ls->lambda_max - (ls->lambda_max - ls->lambda_min) * (g - g0) / (g1 - g0);
}

double learned_dlambda_dt(const LearnedSchedule *ls, double t) {
  double g0, g1, dg;
  net_eval(ls, 0, &g0, NULL);
  net_eval(ls, 1, &g1, NULL);
  net_eval(ls, t, NULL, &dg);
  return -(ls->lambda_max - ls->lambda_min) * dg / (g1 - g0);
}

// Newton's method on lambda(t) = lambda, kept inside a shrinking bracket (bisection
// when a step leaves it); lambda(t) is smooth and strictly decreasing.
double learned_time(const LearnedSchedule *ls, double lambda) {
  if (lambda >= ls->lambda_max) return 0;
  if (lambda <= ls->lambda_min) return 1;
  double lo = 0, hi = 1;  // lambda(lo) > lambda > lambda(hi)
  double t = (ls->lambda_max - lambda) / (ls->lambda_max - ls->lambda_min);
  for (int it = 0; it < 200 && hi - lo > 1e-15; it++) {
    double r = learned_lambda(ls, t) - lambda;
    if (r == 0) return t;
    if (r > 0) lo = t; else hi = t;
    double next = t - r / learned_dlambda_dt(ls, t);
    if (!(next > lo && next < hi) || it > 50) next = 0.5 * (lo + hi);
    if (fabs(next - t) < 1e-16) return next;
    t = next;
  }
  return t;
}

void learned_backward(const LearnedSchedule *ls, float *grad, const double *t,
                      const double *g_lambda, const double *g_slope, size_t n) {
  double g0, g1;
  net_eval(ls, 0, &g0, NULL);
  net_eval(ls, 1, &g1, NULL);
  double delta = g1 - g0, range = ls->lambda_max - ls->lambda_min;
  double c0 = 0, c1 = 0;  // coefficients on d gamma~(0) and d gamma~(1)
  for (size_t i = 0; i < n; i++) {
    double gl = g_lambda ? g_lambda[i] : 0, gs = g_slope ? g_slope[i] : 0;
    double g, dg;
    net_eval(ls, t[i], &g, &dg);
    double frac = (g - g0) / delta;
    // lambda = lmax - R frac; slope = -R dg / delta
    net_accumulate(ls, grad, t[i], -range * gl / delta, -range * gs / delta);
    c0 += -range * gl / delta * (frac - 1) - range * gs * dg / (delta * delta);
    c1 += range * gl * frac / delta + range * gs * dg / (delta * delta);
  }
  net_accumulate(ls, grad, 0.0, c0, 0.0);
  net_accumulate(ls, grad, 1.0, c1, 0.0);
}
