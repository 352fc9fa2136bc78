// Shared by the sampler files (sampler.c: DDPM, EDM, ODE; sampler_dpm.c:
// DPM-Solver++): one sampler_run call's state and the pieces every sampler uses.
// Not part of the API (sampler.h). Legend: B batch, D values per sample.
#ifndef VDMC_SAMPLE_SAMPLER_INTERNAL_H
#define VDMC_SAMPLE_SAMPLER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sample/sampler.h"

typedef struct {
  const SamplerOptions *o;
  const Denoiser *d;
  const int *labels;
  uint64_t first;
  int B;
  size_t n;                     // B * D
  float *z, *out, *a, *b, *c;   // (B,D) scratch; sampler_denoise_ve uses z and writes out
  GuidanceWork gw;
} SamplerRun;

// buf (B,D): N(0, I) draws of stream (seed, RNG_SAMPLE, step, first + b).
void sampler_draw_noise(float *buf, const SamplerOptions *o, uint64_t first, int B, size_t D, uint64_t step);
// x (B,D) = sigma_0 eps with sigma_0 = e^{-lambda0/2} and the step-0 draws: the VE
// start of the grid samplers (EDM, ODE, DPM-Solver++).
void sampler_start_ve(SamplerRun *r, float *x, double lambda0);
// The on_step callback, if any.
void sampler_progress(const SamplerRun *r, int step);
// EDM denoiser on the VE variable x = z / alpha at noise sigma = e^{-lambda/2}:
// r->out = x_hat(alpha x, lambda), guided (uses r->z).
int sampler_denoise_ve(SamplerRun *r, const float *xve, double lambda);
// lambda_i of the EDM-style time grid t_i = 1 - i/(N-1) (t = 1 the noisiest end): with
// the EDM sampling schedule sigma_i = e^{-lambda_i/2} is Karras et al.'s Eq. 5.
double sampler_grid_lambda(const Schedule *s, int i, int N);

int sampler_run_dpmpp_2m(SamplerRun *r, float *x);
int sampler_run_dpmpp_3m_sde(SamplerRun *r, float *x);

#endif
