// The analytic optimal denoiser of Gaussian data (gaussian_model.h) as a sampler
// Denoiser callback, in any parameterization, optionally class-conditional: class c
// has mean mu_d + class_shift * (c + 1); the null class (and no label) has mean mu_d.
#ifndef VDMC_TEST_GAUSSIAN_DENOISER_H
#define VDMC_TEST_GAUSSIAN_DENOISER_H

#include "core/status.h"
#include "gaussian_model.h"
#include "sample/sampler.h"

typedef struct {
  PredKind pred;
  int D;
  const double *mu, *s;  // (D) data mean and std per dimension
  double class_shift;
  int num_classes;
  int fixed_class;       // >= 0: ignore labels and use this class
  int calls;             // network evaluations so far
} GaussDenoiser;

static inline double gd_mean(const GaussDenoiser *g, int d, int label) {
  return label < 0 || label >= g->num_classes ? g->mu[d] : g->mu[d] + g->class_shift * (label + 1);
}

// The optimal output: the target of (x_hat, eps_hat), which is affine, so
// E[target | z] = target(E[x|z], E[eps|z]).
static inline int gd_fn(void *ctx, float *out, const float *z, const double *lambda, const int *labels, int B) {
  GaussDenoiser *g = ctx;
  g->calls++;
  for (int b = 0; b < B; b++) {
    int label = g->fixed_class >= 0 ? g->fixed_class : labels ? labels[b] : -1;
    double a, sg;
    vp_alpha_sigma(lambda[b], &a, &sg);
    for (int d = 0; d < g->D; d++) {
      double m = gd_mean(g, d, label), s = g->s[d], zz = z[(size_t)b * g->D + d];
      double eh = gm_eps_hat(zz, lambda[b], m, s), xh = m + a * s * s / (a * a * s * s + sg * sg) * (zz - a * m);
      out[(size_t)b * g->D + d] = (float)pred_target(g->pred, lambda[b], 0.5, xh, eh);
    }
  }
  return VDMC_OK;
}

static inline Denoiser gd_denoiser(GaussDenoiser *g, int max_batch) {
  Denoiser d = {gd_fn, g, (size_t)g->D, g->fixed_class >= 0 ? 0 : g->num_classes, g->pred, 0.5, max_batch};
  return d;
}

#endif
