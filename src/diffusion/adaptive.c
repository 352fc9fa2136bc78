#include "diffusion/adaptive.h"

#include <math.h>

#include "core/status.h"

static double bin_width(const AdaptiveSchedule *a) {
  return (a->lambda_max - a->lambda_min) / ADAPTIVE_BINS;
}

int adaptive_init(AdaptiveSchedule *a, double lambda_min, double lambda_max) {
  if (!(isfinite(lambda_min) && isfinite(lambda_max) && lambda_min < lambda_max))
    return vdmc_fail(VDMC_ERR_INPUT, "adaptive schedule: need finite lambda_min < lambda_max, got [%g, %g]",
                     lambda_min, lambda_max);
  a->lambda_min = lambda_min;
  a->lambda_max = lambda_max;
  a->decay = 0.999;
  for (int k = 0; k < ADAPTIVE_BINS; k++) a->value[k] = 1.0;
  return adaptive_refresh(a);
}

int adaptive_refresh(AdaptiveSchedule *a) {
  double h = bin_width(a), sum = 0;
  for (int k = 0; k < ADAPTIVE_BINS; k++) {
    if (!(isfinite(a->value[k]) && a->value[k] > 0))
      return vdmc_fail(VDMC_ERR_NUMERIC, "adaptive schedule: bin %d has value %g (must be finite and > 0)",
                       k, a->value[k]);
    sum += a->value[k];
  }
  a->total = sum * h;
  a->cum_lo[0] = 0;
  for (int k = 0; k < ADAPTIVE_BINS; k++) a->cum_lo[k + 1] = a->cum_lo[k] + a->value[k] * h / a->total;
  a->cum_hi[ADAPTIVE_BINS] = 0;
  for (int k = ADAPTIVE_BINS - 1; k >= 0; k--) a->cum_hi[k] = a->cum_hi[k + 1] + a->value[k] * h / a->total;
  return VDMC_OK;
}

int adaptive_bin(const AdaptiveSchedule *a, double lambda) {
  double u = (lambda - a->lambda_min) / bin_width(a);
  if (!(u > 0)) return 0;  // also NaN
  int k = (int)u;
  return k >= ADAPTIVE_BINS ? ADAPTIVE_BINS - 1 : k;
}

void adaptive_accumulate(const AdaptiveSchedule *a, double *sum, double *count,
                         const double *lambda, const double *value, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int k = adaptive_bin(a, lambda[i]);
    sum[k] += value[i];
    count[k] += 1;
  }
}

int adaptive_update(AdaptiveSchedule *a, const double *sum, const double *count) {
  for (int k = 0; k < ADAPTIVE_BINS; k++) {
    if (!(count[k] > 0)) continue;
    double mean = sum[k] / count[k];
    if (!(isfinite(mean) && mean >= 0))
      return vdmc_fail(VDMC_ERR_NUMERIC, "adaptive schedule: bin %d got mean loss %g", k, mean);
    double keep = pow(a->decay, count[k]);
    a->value[k] = keep * a->value[k] + (1 - keep) * mean;
    if (a->value[k] < 1e-300) a->value[k] = 1e-300;  // keep p > 0 everywhere
  }
  return adaptive_refresh(a);
}

double adaptive_density(const AdaptiveSchedule *a, double lambda) {
  if (lambda < a->lambda_min || lambda > a->lambda_max) return 0;
  return a->value[adaptive_bin(a, lambda)] / a->total;
}

double adaptive_lower(const AdaptiveSchedule *a, double lambda) {
  if (lambda <= a->lambda_min) return 0;
  if (lambda >= a->lambda_max) return 1;
  int k = adaptive_bin(a, lambda);
  double left = a->lambda_min + k * bin_width(a);
  return a->cum_lo[k] + (lambda - left) * a->value[k] / a->total;
}

double adaptive_upper(const AdaptiveSchedule *a, double lambda) {
  if (lambda <= a->lambda_min) return 1;
  if (lambda >= a->lambda_max) return 0;
  int k = adaptive_bin(a, lambda);
  double right = a->lambda_min + (k + 1) * bin_width(a);
  return a->cum_hi[k + 1] + (right - lambda) * a->value[k] / a->total;
}

// Binary search for the bin k with cum[k] <= q < cum[k+1] in an increasing table.
static int search_increasing(const double *cum, double q) {
  int lo = 0, hi = ADAPTIVE_BINS - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (cum[mid] <= q) lo = mid; else hi = mid - 1;
  }
  return lo;
}

double adaptive_from_lower(const AdaptiveSchedule *a, double q) {
  if (q <= 0) return a->lambda_min;
  if (q >= 1) return a->lambda_max;
  int k = search_increasing(a->cum_lo, q);
  double left = a->lambda_min + k * bin_width(a);
  double l = left + (q - a->cum_lo[k]) * a->total / a->value[k];
  return fmin(fmax(l, a->lambda_min), a->lambda_max);
}

double adaptive_from_upper(const AdaptiveSchedule *a, double q) {
  if (q <= 0) return a->lambda_max;
  if (q >= 1) return a->lambda_min;
  // cum_hi decreases with k; search on the mirrored index
  int lo = 0, hi = ADAPTIVE_BINS - 1;  // want largest k with cum_hi[k] >= q... smallest-from-right
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (a->cum_hi[mid] >= q) lo = mid; else hi = mid - 1;
  }
  int k = lo;  // cum_hi[k] >= q > cum_hi[k+1]
  double right = a->lambda_min + (k + 1) * bin_width(a);
  double l = right - (q - a->cum_hi[k + 1]) * a->total / a->value[k];
  return fmin(fmax(l, a->lambda_min), a->lambda_max);
}
