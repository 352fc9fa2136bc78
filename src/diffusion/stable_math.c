#include "diffusion/stable_math.h"

#include <math.h>

double dm_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

double dm_log_sigmoid(double x) { return -dm_softplus(-x); }

double dm_sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

// cosh(x) = e^|x| (1 + e^-2|x|) / 2
double dm_log_sech(double x) {
  double a = fabs(x);
  return -(a + log1p(exp(-2.0 * a)) - DM_LN2);
}

double dm_sech(double x) { return exp(dm_log_sech(x)); }

double dm_normal_cdf(double x) { return 0.5 * erfc(-x / DM_SQRT2); }

double dm_normal_log_pdf(double x, double mean, double std) {
  double u = (x - mean) / std;
  return -0.5 * u * u - log(std) - 0.5 * log(2.0 * DM_PI);
}

double dm_log_add_exp(double a, double b) {
  double m = a > b ? a : b;
  if (isinf(m) && m < 0) return m;
  return m + log1p(exp(-fabs(a - b)));
}

// Acklam's rational approximation (relative error 1.2e-9) refined by one Halley
// step on erfc, which brings it to full double precision.
double dm_normal_quantile(double p) {
  static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                              -2.759285104469687e+02, 1.383577518672690e+02,
                              -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                              -1.556989798598866e+02, 6.680131188771972e+01,
                              -1.328068155288572e+01};
  static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                              -2.400758277161838e+00, -2.549732539343734e+00,
                              4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                              2.445134137142996e+00, 3.754408661907416e+00};
  if (!(p > 0)) return -INFINITY;
  if (!(p < 1)) return INFINITY;
  if (p > 0.5) return -dm_normal_quantile(1 - p);  // refine in the accurate lower tail
  const double plow = 0.02425;
  double x;
  if (p < plow) {
    double q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = sqrt(-2 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley step: e = Phi(x) - p, u = e * sqrt(2 pi) * exp(x^2 / 2)
  double e = dm_normal_cdf(x) - p;
  double u = e * sqrt(2 * DM_PI) * exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}
