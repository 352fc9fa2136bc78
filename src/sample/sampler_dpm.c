// DPM-Solver++ (Lu et al. 2022, "DPM-Solver++: Fast Solver for Guided Sampling of
// Diffusion Probabilistic Models"), multistep in the data prediction x_hat, in the VE
// variable x = z/alpha with sigma = e^{-lambda/2}, as k-diffusion implements them
// (sample_dpmpp_2m, sample_dpmpp_3m_sde). docs/sampling.md derives the updates.
//
// Both use the grid of the EDM sampler (sampler_grid_lambda: N noise levels, then
// sigma = 0), one network evaluation per level, and the exact linear part of the
// ODE/SDE: with s = log(1/sigma) = lambda/2 and h = s_{i+1} - s_i,
//   2M:      x' = e^{-h} x - expm1(-h) D'                 (D' the 2nd-order extrapolated data term)
//   3M SDE:  x' = e^{-2h} x - expm1(-2h) D + phi_2 d1 - phi_3 d2 + sigma' sqrt(-expm1(-2h)) eps
// The last step to sigma = 0 returns the data prediction.
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "sample/sampler_internal.h"

int sampler_run_dpmpp_2m(SamplerRun *r, float *x) {
  const int N = r->o->steps;
  float *prev = r->b;  // the previous level's data prediction
  double lam = sampler_grid_lambda(&r->o->schedule, 0, N), h_last = 0;
  sampler_start_ve(r, x, lam);
  for (int i = 0; i < N; i++) {
    int rc = sampler_denoise_ve(r, x, lam);
    if (rc) return rc;
    const float *D = r->out;
    if (i + 1 == N) {
      memcpy(x, D, r->n * sizeof(float));
    } else {
      const double lam_next = sampler_grid_lambda(&r->o->schedule, i + 1, N);
      const double h = (lam_next - lam) / 2, ratio = exp(-h), cd = -expm1(-h);
      if (i == 0) {  // first order (DPM-Solver++ 1 = DDIM in x_hat)
        for (size_t k = 0; k < r->n; k++) x[k] = (float)(ratio * x[k] + cd * D[k]);
      } else {  // D' = (1 + 1/(2r)) D - 1/(2r) D_prev, r = h_last / h
        const double q = h / (2 * h_last), c0 = cd * (1 + q), c1 = -cd * q;
        for (size_t k = 0; k < r->n; k++) x[k] = (float)(ratio * x[k] + c0 * D[k] + c1 * prev[k]);
      }
      h_last = h;
      lam = lam_next;
    }
    memcpy(prev, D, r->n * sizeof(float));
    sampler_progress(r, i + 1);
  }
  return VDMC_OK;
}

// eta = 1 (k-diffusion's default): the full reverse SDE. Noise of step i is the
// (seed, RNG_SAMPLE, i + 1, index) stream: independent normals per interval, which is
// what a Brownian tree gives for the disjoint intervals of one grid.
int sampler_run_dpmpp_3m_sde(SamplerRun *r, float *x) {
  const int N = r->o->steps;
  float *d1 = r->b, *d2 = r->c, *eps = r->a;  // data predictions one and two levels back
  double lam = sampler_grid_lambda(&r->o->schedule, 0, N), h1 = 0, h2 = 0;
  sampler_start_ve(r, x, lam);
  for (int i = 0; i < N; i++) {
    int rc = sampler_denoise_ve(r, x, lam);
    if (rc) return rc;
    const float *D = r->out;
    if (i + 1 == N) {
      memcpy(x, D, r->n * sizeof(float));
    } else {
      const double lam_next = sampler_grid_lambda(&r->o->schedule, i + 1, N);
      const double h = (lam_next - lam) / 2, he = 2 * h;
      const double cx = exp(-he), cd = -expm1(-he);
      const double phi2 = expm1(-he) / he + 1, phi3 = phi2 / he - 0.5;
      const double cn = exp(-lam_next / 2) * sqrt(-expm1(-2 * h)) * r->o->s_noise;
      sampler_draw_noise(eps, r->o, r->first, r->B, r->d->D, (uint64_t)(i + 1));
      if (i >= 2) {
        // divided differences on the s grid: d1_0 = (D - D1)/r0, d1_1 = (D1 - D2)/r1,
        // d1 = d1_0 + (d1_0 - d1_1) r0/(r0 + r1), d2 = (d1_0 - d1_1)/(r0 + r1)
        const double r0 = h1 / h, r1 = h2 / h;
        for (size_t k = 0; k < r->n; k++) {
          const double a0 = (D[k] - d1[k]) / r0, a1 = (d1[k] - d2[k]) / r1;
          const double dd1 = a0 + (a0 - a1) * r0 / (r0 + r1), dd2 = (a0 - a1) / (r0 + r1);
          x[k] = (float)(cx * x[k] + cd * D[k] + phi2 * dd1 - phi3 * dd2 + cn * eps[k]);
        }
      } else if (i == 1) {
        const double q = phi2 * h / h1;  // phi_2 (D - D1) / r, r = h1 / h
        for (size_t k = 0; k < r->n; k++) x[k] = (float)(cx * x[k] + cd * D[k] + q * (D[k] - d1[k]) + cn * eps[k]);
      } else {
        for (size_t k = 0; k < r->n; k++) x[k] = (float)(cx * x[k] + cd * D[k] + cn * eps[k]);
      }
      h2 = h1;
      h1 = h;
      lam = lam_next;
    }
    float *t = d2;  // D2 <- D1, D1 <- D
    d2 = d1;
    d1 = t;
    memcpy(d1, D, r->n * sizeof(float));
    sampler_progress(r, i + 1);
  }
  return VDMC_OK;
}
