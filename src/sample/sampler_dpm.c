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

// The data predictions of the last two levels and the step sizes that led to them.
typedef struct {
  float *d1, *d2;  // (B,D) D_{i-1}, D_{i-2}
  double h1, h2;   // h_{i-1}, h_{i-2}
} History;

// x (B,D) from level i to i+1 given D = D_i, h = s_{i+1} - s_i (> 0).
typedef void (*GridUpdate)(SamplerRun *r, float *x, const float *D, int i, double h, double lam_next,
                           const History *hist);

// The walk both samplers share: start at sigma_0, one evaluation per level, the
// method's update between levels, the data prediction at the last level. The level's
// data prediction becomes D_{i-1} by rotating pointers, not by a copy: r->out, hist.d1
// and hist.d2 are r's out, b and c in some order, and r->b, r->c take the two history
// buffers back at the end, so that r still holds each of its buffers once.
static int walk_grid(SamplerRun *r, float *x, GridUpdate update) {
  const int N = r->o->steps;
  History hist = {r->b, r->c, 0, 0};
  double lam = sampler_grid_lambda(&r->o->schedule, 0, N);
  sampler_start_ve(r, x, lam);
  int rc = VDMC_OK;
  for (int i = 0; i < N && !rc; i++) {
    if ((rc = sampler_denoise_ve(r, x, lam))) break;
    const float *D = r->out;
    if (i + 1 == N) {
      memcpy(x, D, r->n * sizeof(float));
    } else {
      const double lam_next = sampler_grid_lambda(&r->o->schedule, i + 1, N), h = (lam_next - lam) / 2;
      update(r, x, D, i, h, lam_next, &hist);
      hist.h2 = hist.h1;
      hist.h1 = h;
      lam = lam_next;
    }
    float *oldest = hist.d2;  // D2 <- D1, D1 <- D; the next level writes over D_{i-2}
    hist.d2 = hist.d1;
    hist.d1 = r->out;
    r->out = oldest;
    sampler_progress(r, i + 1);
  }
  r->b = hist.d1;
  r->c = hist.d2;
  return rc;
}

static void update_2m(SamplerRun *r, float *x, const float *D, int i, double h, double lam_next,
                      const History *hist) {
  (void)lam_next;
  const double ratio = exp(-h), cd = -expm1(-h);
  if (i == 0) {  // first order (DPM-Solver++ 1 = DDIM in x_hat)
    for (size_t k = 0; k < r->n; k++) x[k] = (float)(ratio * x[k] + cd * D[k]);
    return;
  }
  // D' = (1 + 1/(2r)) D - 1/(2r) D_{i-1}, r = h_{i-1} / h
  const double q = h / (2 * hist->h1), c0 = cd * (1 + q), c1 = -cd * q;
  for (size_t k = 0; k < r->n; k++) x[k] = (float)(ratio * x[k] + c0 * D[k] + c1 * hist->d1[k]);
}

int sampler_run_dpmpp_2m(SamplerRun *r, float *x) { return walk_grid(r, x, update_2m); }

// eta = 1 (k-diffusion's default): the full reverse SDE. Noise of step i is the
// (seed, RNG_SAMPLE, i + 1, index) stream: independent normals per interval, which is
// what a Brownian tree gives for the disjoint intervals of one grid.
static void update_3m_sde(SamplerRun *r, float *x, const float *D, int i, double h, double lam_next,
                          const History *hist) {
  const double he = 2 * h, cx = exp(-he), cd = -expm1(-he);
  const double phi2 = expm1(-he) / he + 1, phi3 = phi2 / he - 0.5;
  const double cn = exp(-lam_next / 2) * sqrt(-expm1(-2 * h)) * r->o->s_noise;
  const float *d1 = hist->d1, *d2 = hist->d2;
  float *eps = r->a;
  sampler_draw_noise(eps, r->o, r->first, r->B, r->d->D, (uint64_t)(i + 1));
  if (i >= 2) {
    // divided differences on the s grid: d1_0 = (D - D1)/r0, d1_1 = (D1 - D2)/r1,
    // d1 = d1_0 + (d1_0 - d1_1) r0/(r0 + r1), d2 = (d1_0 - d1_1)/(r0 + r1)
    const double r0 = hist->h1 / h, r1 = hist->h2 / h;
    for (size_t k = 0; k < r->n; k++) {
      const double a0 = (D[k] - d1[k]) / r0, a1 = (d1[k] - d2[k]) / r1;
      const double dd1 = a0 + (a0 - a1) * r0 / (r0 + r1), dd2 = (a0 - a1) / (r0 + r1);
      x[k] = (float)(cx * x[k] + cd * D[k] + phi2 * dd1 - phi3 * dd2 + cn * eps[k]);
    }
  } else if (i == 1) {
    const double q = phi2 * h / hist->h1;  // phi_2 (D - D1) / r, r = h1 / h
    for (size_t k = 0; k < r->n; k++) x[k] = (float)(cx * x[k] + cd * D[k] + q * (D[k] - d1[k]) + cn * eps[k]);
  } else {
    for (size_t k = 0; k < r->n; k++) x[k] = (float)(cx * x[k] + cd * D[k] + cn * eps[k]);
  }
}

int sampler_run_dpmpp_3m_sde(SamplerRun *r, float *x) { return walk_grid(r, x, update_3m_sde); }
