#include "optim/ema_power.h"

#include <math.h>
#include <string.h>

#include "core/param_table.h"
#include "core/status.h"
#include "optim/ema.h"

double ema_power_std(double gamma) {
  return sqrt((gamma + 1) / ((gamma + 2) * (gamma + 2) * (gamma + 3)));
}

// (gamma + 2)^2 (gamma + 3) - (gamma + 1) / std^2: negative below the root, positive above.
static double cubic(double gamma, double inv_var) {
  return (gamma + 2) * (gamma + 2) * (gamma + 3) - (gamma + 1) * inv_var;
}

double ema_power_gamma(double std) {
  double inv_var = 1 / (std * std), lo = 0, hi = 1;
  while (cubic(hi, inv_var) <= 0) hi *= 2;  // the cubic wins for large gamma
  for (int i = 0; i < 2000; i++) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;  // adjacent doubles: done
    if (cubic(mid, inv_var) > 0) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

double ema_power_beta(double gamma, double t_next, double delta) {
  if (delta >= t_next) return 0;
  return pow(1 - delta / t_next, gamma + 1);
}

double ema_power_inner(double t_a, double gamma_a, double t_b, double gamma_b) {
  double c = (gamma_a + 1) * (gamma_b + 1) / (gamma_a + gamma_b + 1);
  if (t_a <= t_b) return c * pow(t_a / t_b, gamma_b) / t_b;
  return c * pow(t_b / t_a, gamma_a) / t_a;
}

int ema_power_check_stds(const double *stds, int n, const char *what) {
  if (n < 1 || n > EMA_POWER_MAX_PROFILES)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: %d power-function EMA profiles; 1 to %d are supported (each is a "
                     "full copy of the weights)", what, n, EMA_POWER_MAX_PROFILES);
  for (int i = 0; i < n; i++) {
    if (!(stds[i] > 0 && stds[i] < EMA_POWER_MAX_STD))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: relative std %g must be in (0, %.4f) (sigma_rel of gamma = 0)", what,
                       stds[i], EMA_POWER_MAX_STD);
    for (int j = 0; j < i; j++)
      if (stds[j] == stds[i])
        return vdmc_fail(VDMC_ERR_INPUT, "%s: relative std %g is listed twice", what, stds[i]);
  }
  return VDMC_OK;
}

int ema_power_set_init(EmaPowerSet *s, const double *stds, int n, size_t total, const char *what) {
  memset(s, 0, sizeof *s);
  s->total = total;
  if (n == 0) return VDMC_OK;
  int rc = ema_power_check_stds(stds, n, what);
  if (rc) return rc;
  for (int i = 0; i < n; i++) {
    s->std[i] = stds[i];
    s->gamma[i] = ema_power_gamma(stds[i]);
    if (!(s->ema[i] = vdmc_alloc_floats(total))) {
      ema_power_set_free(s);
      return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for %d power-function EMA copies of %zu floats", n, total);
    }
    s->n = i + 1;
  }
  return VDMC_OK;
}

void ema_power_set_reset(EmaPowerSet *s, const float *params) {
  for (int i = 0; i < s->n; i++) memcpy(s->ema[i], params, s->total * sizeof(float));
}

void ema_power_set_update(EmaPowerSet *s, const float *params, double t_next, double delta) {
  for (int i = 0; i < s->n; i++) ema_update(s->ema[i], params, s->total, ema_power_beta(s->gamma[i], t_next, delta));
}

void ema_power_set_free(EmaPowerSet *s) {
  for (int i = 0; i < s->n; i++) vdmc_free_floats(s->ema[i]);
  memset(s, 0, sizeof *s);
}
