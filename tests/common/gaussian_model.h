// Header-only analytic diffusion model for Gaussian data x ~ N(mu, s^2) per
// dimension (VP process, z = alpha x + sigma eps). The optimal denoiser is
//   x_hat = mu + alpha s^2 / V (z - alpha mu),  V = alpha^2 s^2 + sigma^2
//   eps_hat = (z - alpha x_hat) / sigma = sigma / V (z - alpha mu)
// and for a fixed x, eps - eps_hat = (alpha^2 s^2 / V) eps - (sigma alpha / V)(x - mu), so
//   E_eps (eps - eps_hat)^2 = (alpha^2 s^2 / V)^2 + (sigma alpha / V)^2 (x - mu)^2.
#ifndef VDMC_TEST_GAUSSIAN_MODEL_H
#define VDMC_TEST_GAUSSIAN_MODEL_H

#include "diffusion/parameterization.h"

static inline double gm_eps_hat(double z, double lambda, double mu, double s) {
  double a, sg;
  vp_alpha_sigma(lambda, &a, &sg);
  return sg / (a * a * s * s + sg * sg) * (z - a * mu);
}

static inline double gm_expected_sqerr(double x, double lambda, double mu, double s) {
  double a, sg;
  vp_alpha_sigma(lambda, &a, &sg);
  double V = a * a * s * s + sg * sg, c1 = a * a * s * s / V, c2 = sg * a / V;
  return c1 * c1 + c2 * c2 * (x - mu) * (x - mu);
}

#endif
