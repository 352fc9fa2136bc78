#include "diffusion/loss.h"

#include <math.h>

void lowdisc_times(double *t, size_t n, size_t first, size_t global_batch, double u0) {
  for (size_t k = 0; k < n; k++) {
    double v = u0 + (double)(first + k) / (double)global_batch;
    t[k] = v - floor(v);
  }
}

double diffusion_loss_weight(const Schedule *s, const Weighting *w, double t, double *lambda_out) {
  double lambda = schedule_lambda(s, t);
  if (lambda_out) *lambda_out = lambda;
  return weighting_eval(w, lambda) * -schedule_dlambda_dt(s, t);
}

double diffusion_discrete_weight(const Schedule *s, double t, int T, double *lambda_out) {
  double i = ceil(t * T);
  if (i < 1) i = 1;
  double lt = schedule_lambda(s, i / T), ls = schedule_lambda(s, (i - 1) / T);
  if (lambda_out) *lambda_out = lt;
  return T * expm1(ls - lt);
}

void diffusion_loss(double *loss, double *sqerr, float *dout, const float *out, const float *z,
                    const float *eps, const double *lambda, const double *weight, size_t B,
                    size_t D, PredKind kind, double sigma_data, double grad_scale) {
  for (size_t b = 0; b < B; b++) {
    PredCoef c = pred_coef(kind, lambda[b], sigma_data);
    const float *ob = out + b * D, *zb = z + b * D, *eb = eps + b * D;
    double sq = 0, g = grad_scale * weight[b] * c.eps_out;  // dL/dout = weight (eps_hat - eps) eps_out
    for (size_t i = 0; i < D; i++) {
      double r = c.eps_z * zb[i] + c.eps_out * ob[i] - eb[i];
      sq += r * r;
      if (dout) dout[b * D + i] += (float)(g * r);
    }
    if (loss) loss[b] = 0.5 * weight[b] * sq;
    if (sqerr) sqerr[b] = sq;
  }
}

void diffusion_loss_schedule_grads(double *g_lambda, double *g_slope, const double *loss, const double *sqerr,
                                   const double *lambda, const Weighting *w, size_t B, double grad_scale) {
  for (size_t b = 0; b < B; b++) {
    g_lambda[b] += grad_scale * loss[b] * weighting_dlog(w, lambda[b]);
    g_slope[b] += grad_scale * -0.5 * weighting_eval(w, lambda[b]) * sqerr[b];
  }
}
