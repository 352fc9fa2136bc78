// Samplers of a trained diffusion model (VDM++ App. E.4): DDPM ancestral sampling
// (VDM notes Eq. 27-33), the EDM stochastic sampler with Heun's 2nd order method
// (Karras et al. 2022, Alg. 2) and its deterministic special case, the probability
// flow ODE (Alg. 1), with classifier-free guidance. docs/sampling.md.
//
// The model is a callback (Denoiser) returning the raw network output in its
// parameterization (eps / x / v / F); samplers convert it with pred_coef in float64,
// so a test plugs the analytic Gaussian denoiser and the CLI plugs the U-Net.
// Every random draw is the Philox stream (seed, RNG_SAMPLE, step, global sample
// index): a sample does not depend on the batch it ran in or on the rank count.
// Legend: B batch, D = H*W*C values per sample.
#ifndef VDMC_SAMPLE_SAMPLER_H
#define VDMC_SAMPLE_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "diffusion/parameterization.h"
#include "diffusion/schedule.h"

// out (B,D) = network output at z (B,D), log-SNR lambda (B), labels (B) in [0, K]
// (K = the null class) or NULL for an unconditional model. B <= max_batch.
typedef int (*DenoiseFn)(void *ctx, float *out, const float *z, const double *lambda, const int *labels,
                         int B);

typedef struct {
  DenoiseFn fn;
  void *ctx;
  size_t D;
  int num_classes;    // 0: unconditional; K > 0: labels 0..K-1, K = null class
  PredKind pred;      // what fn returns
  double sigma_data;  // F parameterization
  int max_batch;      // largest B fn accepts (guidance needs 2B)
} Denoiser;

typedef enum {
  SAMPLER_DDPM = 0,
  SAMPLER_EDM,
  SAMPLER_ODE,
  SAMPLER_DPMPP_2M,      // DPM-Solver++(2M): multistep, 2nd order, deterministic (Lu et al. 2022)
  SAMPLER_DPMPP_3M_SDE,  // DPM-Solver++(3M) SDE: multistep, 3rd order in the data term, eta 1
  SAMPLER_KIND_COUNT
} SamplerKind;

typedef struct {
  SamplerKind kind;
  int steps;              // DDPM steps; EDM/ODE Heun steps; DPM-Solver++: network evaluations
  Schedule schedule;      // sampling schedule, prepared; the time grid is t_i = i/steps
                          // (DDPM) or i/(steps-1) (EDM/ODE/DPM-Solver++, then sigma = 0)
  double s_churn, s_tmin, s_tmax, s_noise;  // EDM (Karras Alg. 2); ODE: churn 0
  double guidance;        // w: eps~ = (1+w) eps(z,c) - w eps(z, null); 0 = off
  uint64_t seed;
  // Called after every step (may be NULL), e.g. for a progress line.
  void (*on_step)(void *ctx, int step, int steps);
  void *on_step_ctx;
} SamplerOptions;

// Defaults of a sampler: DDPM: cosine schedule on [lambda_min, lambda_max], 256 steps;
// EDM: EDM sampling schedule (rho 7, sigma 0.002..80), 256 steps, ImageNet-64 churn
// settings S_churn 80, S_tmin 0.05, S_tmax 50, S_noise 1.003; ODE: same schedule,
// no churn; DPM-Solver++: same schedule, 20 steps. Guidance 0, seed 0. The schedule
// is prepared.
int sampler_defaults(SamplerOptions *o, SamplerKind kind, double lambda_min, double lambda_max);
int sampler_default_steps(SamplerKind kind);  // 256; DPM-Solver++: 20
int sampler_kind_parse(const char *name, SamplerKind *out);  // ddpm | edm | ode | dpmpp-2m | dpmpp-3m-sde
// Replaces the sampling schedule by the named one (schedule.h names): analytic kinds
// on [lambda_min, lambda_max] (edm-sampling: its natural range), shifted-cosine with
// `shift`; "adaptive" / "learned" is the run's trained schedule `trained` (must be of
// that kind). Errors name --schedule.
int sampler_set_schedule(SamplerOptions *o, const char *name, const Schedule *trained, double lambda_min,
                         double lambda_max, double shift);
const char *sampler_kind_name(SamplerKind kind);
// Network evaluations (forward passes of the batch) one sampler_run makes: DDPM and
// DPM-Solver++ steps, EDM/ODE 2*steps - 1 (a doubled batch counts once when guided).
int sampler_evaluations(const SamplerOptions *o);

// x (B,D): samples with global indices first .. first+B-1 in data space (about
// [-1, 1]), for labels (B) in [0, K] (K, the null class: an unconditional sample of
// a conditional model) or NULL for an unconditional model. Fails on bad options
// (steps < 1, guidance without classes, a label out of range, B > max_batch or
// 2B > max_batch when guided).
int sampler_run(const SamplerOptions *o, const Denoiser *d, float *x, const int *labels, uint64_t first,
                int B);

// Scratch of the guided evaluation for batches up to B (sampler_run makes its own).
typedef struct {
  float *z2, *out2;  // (2B, D)
  double *lambda2;   // (2B)
  int *labels2;      // (2B)
} GuidanceWork;
int guidance_work_alloc(GuidanceWork *w, int B, size_t D);
void guidance_work_free(GuidanceWork *w);

// The guided network output at one noise level (used by sampler_run, exposed for
// tests): out = (1+w) f(z, labels) - w f(z, null) from ONE call of fn on the batch
// [z; z] with labels [labels; K] when w != 0, else f(z, labels). Every
// parameterization is affine in the output with the same coefficients for both
// halves, so mixing outputs equals mixing eps_hat. out, z: (B,D).
int sampler_guided_output(const Denoiser *d, double w, float *out, const float *z, double lambda,
                          const int *labels, int B, GuidanceWork *work);

#endif
