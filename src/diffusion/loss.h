// The weighted diffusion loss (VDM++ Eq. 5 and 7) and its Monte Carlo estimator:
//   L = 1/2 E_{t~U(0,1), eps} [ w(lambda_t) (-dlambda/dt) ||eps_hat - eps||^2 ]
//     = 1/2 E_{lambda~p, eps} [ w(lambda)/p(lambda) ||eps_hat - eps||^2 ]
// per example, with eps_hat from the network output through the parameterization.
// Times come from the low-discrepancy sampler over the GLOBAL batch
// (VDM App. I.1): t_i = (u0 + i/B) mod 1, i the global example index, so the
// draws do not depend on how the batch is split over ranks.
#ifndef VDMC_DIFFUSION_LOSS_H
#define VDMC_DIFFUSION_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "diffusion/parameterization.h"
#include "diffusion/schedule.h"
#include "diffusion/weighting.h"

// t[k] = (u0 + (first + k) / global_batch) mod 1 for k < n.
void lowdisc_times(double *t, size_t n, size_t first, size_t global_batch, double u0);
// u0 for a training step: one draw of the RNG_TIME stream at (seed, step).
// (Kept alone in lowdisc_offset.c so that only callers of it need src/core/rng.c.)
double lowdisc_offset(uint64_t seed, uint64_t step);

// The per-example factor w(lambda)/p(lambda) = w(lambda) (-dlambda/dt) at time t;
// *lambda_out receives lambda = f(t).
double diffusion_loss_weight(const Schedule *s, const Weighting *w, double t, double *lambda_out);
// VDM's discrete-time ELBO (VDM Eq. 13-14) with T steps: t is rounded up to the
// grid, t_i = ceil(t T)/T, s_i = t_i - 1/T, and the factor is
// T expm1(lambda(s_i) - lambda(t_i)) (so L_T = 1/2 E[factor ||eps_hat - eps||^2]).
// *lambda_out receives lambda(t_i), the noise level the network sees.
double diffusion_discrete_weight(const Schedule *s, double t, int T, double *lambda_out);

// For each example b (D elements): L_b = 1/2 weight[b] ||eps_hat_b - eps_b||^2.
// loss[b] = L_b; sqerr[b] = ||eps_hat_b - eps_b||^2 (NULL: skipped; the adaptive
// schedule's bin value is w(lambda_b) sqerr[b]). If dout is not NULL it
// ACCUMULATES grad_scale * dL_b/dout (e.g. grad_scale = 1/global batch).
// Sums are in double. out, z, eps, dout: (B, D); lambda, weight, loss, sqerr: (B).
void diffusion_loss(double *loss, double *sqerr, float *dout, const float *out, const float *z,
                    const float *eps, const double *lambda, const double *weight, size_t B,
                    size_t D, PredKind kind, double sigma_data, double grad_scale);

// Gradient of the loss into the noise schedule (learned schedule), the part that
// goes through the per-example factor weight = w(lambda) (-dlambda/dt):
//   g_lambda[b] += grad_scale * L_b * dlog w/dlambda(lambda_b)
//   g_slope[b]  += grad_scale * (-1/2) w(lambda_b) sqerr[b]      (slope = dlambda/dt)
// The caller adds what flows into lambda through z = alpha x + sigma eps and the
// network's noise conditioning, then calls learned_backward().
void diffusion_loss_schedule_grads(double *g_lambda, double *g_slope, const double *loss, const double *sqerr,
                                   const double *lambda, const Weighting *w, size_t B, double grad_scale);

#endif
