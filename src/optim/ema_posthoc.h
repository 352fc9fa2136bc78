// Post-hoc EMA (edm2, Karras et al. 2024, section 3.2 and Algorithm 3): the EMA of
// any width is approximated by a weighted sum of stored power-function EMA snapshots.
// Each snapshot i is the profile p_i = (t_i, gamma_i) applied to the weight
// trajectory (optim/ema_power.h); the weights x minimise the L2 distance
// || sum_i x_i p_i - q || to the wanted profile q, i.e. solve the normal equations
// A x = b with A_ij = <p_i, p_j>, b_i = <p_i, q> in closed form (ema_power_inner).
// As in edm2, x is then scaled to sum to 1 so a constant trajectory is kept exactly.
// Because the tracked EMAs are exact integrals of their profiles, the error of the
// reconstruction for ANY trajectory theta is bounded by Cauchy-Schwarz:
//   |sum_i x_i ema_i - ema_q| <= residual ||q|| ||theta - c||_L2[0,t]   for every c,
// with `residual` = ||sum x_i p_i - q|| / ||q|| reported by the solve.
// All scalar math in float64; the solve is a Cholesky factorisation.
#ifndef VDMC_OPTIM_EMA_POSTHOC_H
#define VDMC_OPTIM_EMA_POSTHOC_H

#include <stddef.h>

// Above this 1-norm condition number of A the weights lose more than about 3 of
// their 16 digits and the solve refuses (VDMC_ERR_NUMERIC): the profiles are nearly
// linearly dependent.
#define EMA_POSTHOC_MAX_CONDITION 1e13

typedef struct {
  double t;      // images seen when the profile was taken (> 0)
  double gamma;  // its exponent (> 0)
} EmaProfile;

typedef struct {
  double residual;   // || sum x_i p_i - q || / || q ||
  double condition;  // ||A||_1 ||A^-1||_1
} EmaPosthocFit;

// Weights x (n) of the n stored profiles `in` for the profile `out`. Fails with one
// line (VDMC_ERR_NUMERIC) when A is not positive definite or too ill-conditioned.
int ema_posthoc_solve(const EmaProfile *in, int n, EmaProfile out, double *x, EmaPosthocFit *fit);
// acc += w * snap on one slice of a flat buffer (float64 accumulator).
void ema_posthoc_accumulate(double *acc /* (n) */, const float *snap /* (n) */, size_t n, double w);

#endif
