// The power-function EMA of edm2 (Karras et al. 2024, "Analyzing and Improving the
// Training Dynamics of Diffusion Models", section 3 and appendix C), in float64.
//
// A profile with exponent gamma > 0 averages the weights seen up to time T (in
// images) with the density p_T(tau) = (gamma + 1) tau^gamma / T^(gamma + 1) on
// [0, T]. Its width relative to T is
//   sigma_rel(gamma) = sqrt((gamma + 1) / ((gamma + 2)^2 (gamma + 3)))
// (edm2 Eq. 123), which users choose instead of gamma. Tracked during training with
//   ema = param + beta (ema - param),  beta = (1 - delta / t)^(gamma + 1)
// where t is the images seen after this step and delta the step's images, the
// weight of the params of the step ending at t_k is exactly the integral of p_T over
// (t_(k-1), t_k] (the products telescope): the discrete EMA IS the profile applied to
// the piecewise-constant weight trajectory, with no discretisation error, whatever
// the batch sizes. docs/training.md "Post-hoc EMA".
#ifndef VDMC_OPTIM_EMA_POWER_H
#define VDMC_OPTIM_EMA_POWER_H

#include <stddef.h>

// Profiles tracked at once: each is a full copy of the weights, and the checkpoint
// holds at most CHECKPOINT_MAX_ARRAYS = 8 flat arrays (params, ema, adam m and v).
#define EMA_POWER_MAX_PROFILES 4
// sigma_rel(0) = sqrt(1/12): larger widths would need gamma <= 0, which edm2 never
// uses (the profile would weigh the first steps most).
#define EMA_POWER_MAX_STD 0.28867513459481287

// sigma_rel of the profile with exponent gamma (>= 0).
double ema_power_std(double gamma);
// The gamma > 0 whose sigma_rel is std: the unique positive root of
// (gamma + 2)^2 (gamma + 3) - (gamma + 1) / std^2, found by bisection to the last
// bit (sigma_rel is strictly decreasing for gamma >= 0). std in (0, EMA_POWER_MAX_STD).
double ema_power_gamma(double std);
// beta of the update that brings the images seen to t_next (> 0) with delta images
// in this step: 0 when delta >= t_next (the first update copies the weights).
double ema_power_beta(double gamma, double t_next, double delta);
// The L2 inner product over [0, inf) of the profiles (t_a, gamma_a) and (t_b, gamma_b):
// with t_a <= t_b it is (ga + 1)(gb + 1) / (ga + gb + 1) (t_a / t_b)^gb / t_b (edm2 Eq. 151).
double ema_power_inner(double t_a, double gamma_a, double t_b, double gamma_b);
// Checks a list of stds as a config gives it: 1..EMA_POWER_MAX_PROFILES entries,
// each in (0, EMA_POWER_MAX_STD), all distinct. VDMC_ERR_INPUT naming `what`.
int ema_power_check_stds(const double *stds, int n, const char *what);

// The profiles a run tracks: one full flat buffer each, in the layout of the params
// (docs/design.md, Flat buffers). n = 0: none (nothing allocated).
typedef struct {
  int n;
  double std[EMA_POWER_MAX_PROFILES];    // sigma_rel of each profile
  double gamma[EMA_POWER_MAX_PROFILES];  // its exponent
  float *ema[EMA_POWER_MAX_PROFILES];    // (total) each
  size_t total;
} EmaPowerSet;

// Checks the stds (ema_power_check_stds, messages naming `what`) and allocates
// n buffers of `total` floats. n = 0 is valid and allocates nothing.
int ema_power_set_init(EmaPowerSet *s, const double *stds, int n, size_t total, const char *what);
// Every profile = params (before the first step; the first update copies anyway).
void ema_power_set_reset(EmaPowerSet *s, const float *params /* (total) */);
// The update of every profile after a step that brought the images seen to t_next,
// with delta images in the step.
void ema_power_set_update(EmaPowerSet *s, const float *params /* (total) */, double t_next, double delta);
void ema_power_set_free(EmaPowerSet *s);

#endif
