// What the network predicts (VDM++ App. E.2, Eq. 109-126, and D.2 for v) and how
// its output converts to eps_hat (for the loss), x_hat and the score (for sampling).
// VP process (Eq. 1, 100-101): z = alpha x + sigma eps, alpha^2 = sigmoid(lambda),
// sigma^2 = sigmoid(-lambda).
//
// Every parameterization is affine in the network output `out` at fixed z:
//   eps_hat = eps_z z + eps_out out,   x_hat = x_z z + x_out out,   score = -eps_hat / sigma
//   eps: out = eps_hat           x: out = x_hat
//   v:   out = v_hat = alpha eps_hat - sigma x_hat, so eps_hat = sigma z + alpha v_hat
//   F:   x_hat = c_skip z + c_out F (EDM, Karras et al. 2022) with
//        c_skip = sd^2 / (alpha (e^-l + sd^2)),  c_out = e^{-l/2} sd / sqrt(e^-l + sd^2)
//        (sd = sigma_data): EDM's VE preconditioning applied to z / alpha. The
//        paper's Eq. 119 has alpha in the numerator of c_skip instead; see
//        docs/diffusion.md (the eps_hat error, Eq. 126, is the same either way).
#ifndef VDMC_DIFFUSION_PARAMETERIZATION_H
#define VDMC_DIFFUSION_PARAMETERIZATION_H

#include <stddef.h>

typedef enum { PRED_EPS = 0, PRED_X, PRED_V, PRED_F, PRED_KIND_COUNT } PredKind;

typedef struct {
  double eps_z, eps_out;  // eps_hat = eps_z z + eps_out out
  double x_z, x_out;      // x_hat = x_z z + x_out out
} PredCoef;

typedef enum { PRED_TO_EPS = 0, PRED_TO_X, PRED_TO_SCORE } PredTarget;

void vp_alpha_sigma(double lambda, double *alpha, double *sigma);
PredCoef pred_coef(PredKind kind, double lambda, double sigma_data);
// The network's regression target for (x, eps) at lambda: eps, x, v or F.
double pred_target(PredKind kind, double lambda, double sigma_data, double x, double eps);

// dst (B,D) = eps_hat / x_hat / score from out (B,D) and z (B,D), per-example lambda (B).
void pred_convert(float *dst, const float *out, const float *z, const double *lambda, size_t B,
                  size_t D, PredKind kind, double sigma_data, PredTarget target);

int pred_kind_parse(const char *name, PredKind *out);
const char *pred_kind_name(PredKind kind);

#endif
