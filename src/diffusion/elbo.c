#include "diffusion/elbo.h"

#include <math.h>

#include "diffusion/parameterization.h"
#include "diffusion/stable_math.h"

double elbo_data_value(uint8_t k) { return (2.0 * k + 1.0) / 256.0 - 1.0; }  // = pixel_to_unit, in double

void elbo_encode(float *x, const uint8_t *bytes, size_t D) {
  for (size_t i = 0; i < D; i++) x[i] = (float)elbo_data_value(bytes[i]);
}

// softplus(l) - sigmoid(l) = log1p(e) - e/(1+e), e = e^l; for small e the series
// sum_{k>=2} (-1)^k (k-1)/k e^k avoids cancelling two nearly equal terms.
static double softplus_minus_sigmoid(double l) {
  double e = exp(l);
  if (e < 1e-3) return e * e * (0.5 - e * (2.0 / 3 - e * (0.75 - e * 0.8)));
  return dm_softplus(l) - dm_sigmoid(l);
}

// KL(N(a x, s^2) || N(0,1)) = 1/2 (s^2 + a^2 x^2 - 1 - log s^2) = 1/2 (a^2 x^2 + softplus(l) - sigmoid(l))
double elbo_prior_kl(const float *x, size_t D, double lambda_min) {
  double a2 = dm_sigmoid(lambda_min), c = softplus_minus_sigmoid(lambda_min), kl = 0;
  for (size_t i = 0; i < D; i++) kl += 0.5 * (a2 * (double)x[i] * x[i] + c);
  return kl;
}

double elbo_recon_nll(const float *z0, const uint8_t *bytes, size_t D, double lambda_max) {
  double a, s;
  vp_alpha_sigma(lambda_max, &a, &s);
  double inv_std = exp(0.5 * lambda_max), nll = 0;
  for (size_t i = 0; i < D; i++) {
    double zr = z0[i] / a;  // = x + e^{-lambda_max/2} eps
    double logit[256], m = -INFINITY;
    for (int k = 0; k < 256; k++) {
      double u = (zr - elbo_data_value((uint8_t)k)) * inv_std;
      logit[k] = -0.5 * u * u;
      if (logit[k] > m) m = logit[k];
    }
    double se = 0;
    for (int k = 0; k < 256; k++) se += exp(logit[k] - m);
    nll -= logit[bytes[i]] - m - log(se);
  }
  return nll;
}

double elbo_bits_per_dim(double nats, size_t D) { return nats / ((double)D * DM_LN2); }
