#include "diffusion/parameterization.h"

#include <math.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/names.h"
#include "diffusion/stable_math.h"

void vp_alpha_sigma(double lambda, double *alpha, double *sigma) {
  *alpha = exp(0.5 * dm_log_sigmoid(lambda));
  *sigma = exp(0.5 * dm_log_sigmoid(-lambda));
}

PredCoef pred_coef(PredKind kind, double lambda, double sigma_data) {
  double a, s;
  vp_alpha_sigma(lambda, &a, &s);
  PredCoef c = {0, 0, 0, 0};
  switch (kind) {
    case PRED_EPS:  // x_hat = (z - sigma eps_hat) / alpha  (Eq. 112)
      c.eps_out = 1;
      c.x_z = 1 / a;
      c.x_out = -s / a;
      break;
    case PRED_X:  // eps_hat = (z - alpha x_hat) / sigma  (Eq. 113)
      c.x_out = 1;
      c.eps_z = 1 / s;
      c.eps_out = -a / s;
      break;
    case PRED_V:  // VP: eps_hat = sigma z + alpha v_hat, x_hat = alpha z - sigma v_hat
      c.eps_z = s;
      c.eps_out = a;
      c.x_z = a;
      c.x_out = -s;
      break;
    case PRED_F: {
      double sd2 = sigma_data * sigma_data;
      double em = exp(-lambda), tot = em + sd2;  // e^-l + sd^2
      c.x_z = sd2 / (a * tot);
      c.x_out = exp(-0.5 * lambda) * sigma_data / sqrt(tot);
      // eps_hat = (z - alpha x_hat) / sigma = e^-l/(sigma tot) z - sd/sqrt(tot) F
      c.eps_z = em / (s * tot);
      c.eps_out = -sigma_data / sqrt(tot);
      break;
    }
    default: break;
  }
  return c;
}

double pred_target(PredKind kind, double lambda, double sigma_data, double x, double eps) {
  double a, s;
  vp_alpha_sigma(lambda, &a, &s);
  switch (kind) {
    case PRED_EPS: return eps;
    case PRED_X: return x;
    case PRED_V: return a * eps - s * x;  // Eq. 49
    case PRED_F: {
      PredCoef c = pred_coef(PRED_F, lambda, sigma_data);
      return (x - c.x_z * (a * x + s * eps)) / c.x_out;
    }
    default: return NAN;
  }
}

void pred_convert(float *dst, const float *out, const float *z, const double *lambda, size_t B,
                  size_t D, PredKind kind, double sigma_data, PredTarget target) {
  for (size_t b = 0; b < B; b++) {
    PredCoef c = pred_coef(kind, lambda[b], sigma_data);
    double cz = c.eps_z, co = c.eps_out;
    if (target == PRED_TO_X) {
      cz = c.x_z;
      co = c.x_out;
    } else if (target == PRED_TO_SCORE) {  // score = -eps_hat / sigma  (Eq. 109)
      double a, s;
      vp_alpha_sigma(lambda[b], &a, &s);
      cz = -cz / s;
      co = -co / s;
    }
    const float *ob = out + b * D, *zb = z + b * D;
    float *db = dst + b * D;
    for (size_t i = 0; i < D; i++) db[i] = (float)(cz * zb[i] + co * ob[i]);
  }
}

static const char *const kPredNames[PRED_KIND_COUNT] = {"eps", "x", "v", "F"};

int pred_kind_parse(const char *name, PredKind *out) {
  int k = 0, rc = diffusion_name_parse(name, kPredNames, PRED_KIND_COUNT, "parameterization", NULL, &k);
  if (!rc) *out = (PredKind)k;
  return rc;
}

const char *pred_kind_name(PredKind kind) {
  return diffusion_name_of(kPredNames, PRED_KIND_COUNT, (int)kind);
}
