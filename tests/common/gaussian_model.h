// Header-only analytic diffusion model for Gaussian data x ~ N(mu, s^2) per
// dimension (VP process, z = alpha x + sigma eps). The optimal denoiser is
//   x_hat = mu + alpha s^2 / V (z - alpha mu),  V = alpha^2 s^2 + sigma^2
//   eps_hat = (z - alpha x_hat) / sigma = sigma / V (z - alpha mu)
// and for a fixed x, eps - eps_hat = (alpha^2 s^2 / V) eps - (sigma alpha / V)(x - mu), so
//   E_eps (eps - eps_hat)^2 = (alpha^2 s^2 / V)^2 + (sigma alpha / V)^2 (x - mu)^2.
#ifndef VDMC_TEST_GAUSSIAN_MODEL_H
#define VDMC_TEST_GAUSSIAN_MODEL_H

#include <math.h>
#include <stdint.h>

#include "diffusion/elbo.h"
#include "diffusion/parameterization.h"
#include "diffusion/stable_math.h"

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

static inline double gm_kl_gauss(double m1, double v1, double m2, double v2) {
  return 0.5 * (log(v2 / v1) + (v1 + (m1 - m2) * (m1 - m2)) / v2 - 1);
}

// Gaussian data N(mu, s^2): with the optimal denoiser the reverse process follows the
// marginals m(z_l) = N(alpha mu, alpha^2 s^2 + sigma^2), and the forward process is
// Markov, so diffusion loss = KL(q(z0|x) || m(z0)) - KL(q(z1|x) || m(z1)) exactly.
static inline double gm_analytic_diffusion(const double *x, int D, double mu, double s, double lmin, double lmax) {
  double tot = 0;
  for (int d = 0; d < D; d++)
    for (int end = 0; end < 2; end++) {
      double l = end ? lmin : lmax, a, sg;
      vp_alpha_sigma(l, &a, &sg);
      double kl = gm_kl_gauss(a * x[d], sg * sg, a * mu, a * a * s * s + sg * sg);
      tot += end ? -kl : kl;
    }
  return tot;
}

// -log p(x = x_k | z) with p(x|z) proportional to q(z|x) (VDM Eq. 8), written in z-space
static inline double gm_direct_nll(double z, int k, double a, double sg) {
  double m = -INFINITY, lp[256];
  for (int j = 0; j < 256; j++) {
    double u = (z - a * elbo_data_value((uint8_t)j)) / sg;
    lp[j] = -0.5 * u * u;
    if (lp[j] > m) m = lp[j];
  }
  double se = 0;
  for (int j = 0; j < 256; j++) se += exp(lp[j] - m);
  return -(lp[k] - m - log(se));
}

// -ELBO (nats) of the 8-bit example `bytes` (D values) under the Gaussian model on
// [lmin, lmax] by direct integration: prior in closed form, reconstruction by
// quadrature over z0 = alpha0 x + sigma0 u, diffusion analytic. terms (3, or NULL):
// prior, reconstruction, diffusion.
static inline double gm_direct_nats(const uint8_t *bytes, int D, double mu, double s, double lmin, double lmax,
                                    double *terms) {
  double a0, s0, a1, s1, prior = 0, recon = 0, diff = 0;
  vp_alpha_sigma(lmax, &a0, &s0);
  vp_alpha_sigma(lmin, &a1, &s1);
  for (int d = 0; d < D; d++) {
    double x = (float)elbo_data_value(bytes[d]);  // the float32 value the library sees
    diff += gm_analytic_diffusion(&x, 1, mu, s, lmin, lmax);
    prior += gm_kl_gauss(a1 * x, s1 * s1, 0, 1);
    const int n = 4000;
    for (int i = 0; i < n; i++) {
      double u = -10 + 20.0 * (i + 0.5) / n;
      recon += exp(-0.5 * u * u) / sqrt(2 * DM_PI) * gm_direct_nll(a0 * x + s0 * u, bytes[d], a0, s0) * 20.0 / n;
    }
  }
  if (terms) terms[0] = prior, terms[1] = recon, terms[2] = diff;
  return prior + recon + diff;
}

#endif
