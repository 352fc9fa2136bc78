// Monte Carlo estimate of the VDM ELBO terms per example (see bpd.h).
#include "eval/bpd.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "core/status.h"
#include "diffusion/elbo.h"
#include "diffusion/loss.h"
#include "diffusion/weighting.h"

typedef struct {
  float *x, *z0, *z, *eps, *out;  // x (B, D); z0 (D); z, eps, out (max_batch, D)
  double *lambda, *weight, *loss;  // (max_batch)
  int *labels;                     // (max_batch)
  double *t;                       // (K)
} BpdWork;

static void work_free(BpdWork *w) {
  free(w->x);
  free(w->z0);
  free(w->z);
  free(w->eps);
  free(w->out);
  free(w->lambda);
  free(w->weight);
  free(w->loss);
  free(w->labels);
  free(w->t);
}

static int work_alloc(BpdWork *w, int B, int M, int K, size_t D) {
  memset(w, 0, sizeof *w);
  w->x = malloc((size_t)B * D * sizeof(float));
  w->z0 = malloc(D * sizeof(float));
  w->z = malloc((size_t)M * D * sizeof(float));
  w->eps = malloc((size_t)M * D * sizeof(float));
  w->out = malloc((size_t)M * D * sizeof(float));
  w->lambda = malloc((size_t)M * sizeof(double));
  w->weight = malloc((size_t)M * sizeof(double));
  w->loss = malloc((size_t)M * sizeof(double));
  w->labels = malloc((size_t)M * sizeof(int));
  w->t = malloc((size_t)K * sizeof(double));
  if (w->x && w->z0 && w->z && w->eps && w->out && w->lambda && w->weight && w->loss && w->labels && w->t) return VDMC_OK;
  work_free(w);
  return vdmc_fail(VDMC_ERR_MEMORY, "bpd: out of memory for %d examples of %zu values", B, D);
}

static RngStream stream(uint64_t seed, RngPurpose purpose, uint32_t sub, uint64_t example) {
  RngStream s = {seed, (uint32_t)purpose, sub, 0, example};
  return s;
}

// Network forward of the n (example, time) pairs gathered in w, adding each one's
// 1/2 (-dlambda/dt) ||eps_hat - eps||^2 / K to its example's diffusion term.
static int flush(const BpdOptions *o, BpdWork *w, const int *owner, int n, int have_labels, ElboTerms *terms) {
  const Denoiser *d = o->den;
  if (!n) return VDMC_OK;
  int rc = d->fn(d->ctx, w->out, w->z, w->lambda, have_labels ? w->labels : NULL, n);
  if (rc) return rc;
  diffusion_loss(w->loss, NULL, NULL, w->out, w->z, w->eps, w->lambda, w->weight, (size_t)n, d->D, d->pred,
                 d->sigma_data, 0);
  for (int i = 0; i < n; i++) terms[owner[i]].diffusion += w->loss[i] / o->t_samples;
  return VDMC_OK;
}

int bpd_batch(const BpdOptions *o, const uint8_t *bytes, const int *labels, uint64_t first, int B,
              ElboTerms *terms) {
  const Denoiser *d = o->den;
  const Schedule *s = o->schedule;
  size_t D = d->D;
  int M = d->max_batch, K = o->t_samples;
  if (K < 1) return vdmc_fail(VDMC_ERR_INPUT, "--t-samples: %d, need at least 1", K);
  BpdWork w;
  int *owner = malloc((size_t)M * sizeof(int));
  int rc = owner ? work_alloc(&w, B, M, K, D) : vdmc_fail(VDMC_ERR_MEMORY, "bpd: out of memory");
  if (rc) {
    free(owner);
    return rc;
  }
  Weighting elbo;
  weighting_defaults(&elbo, WEIGHTING_ELBO);
  weighting_prepare(&elbo);
  double a0, s0;
  vp_alpha_sigma(s->lambda_max, &a0, &s0);
  int n = 0;
  for (int b = 0; b < B && !rc; b++) {
    uint64_t ex = first + (uint64_t)b;
    float *x = w.x + (size_t)b * D;
    elbo_encode(x, bytes + (size_t)b * D, D);
    terms[b].prior = elbo_prior_kl(x, D, s->lambda_min);
    RngStream ns = stream(o->seed, RNG_NOISE, 0, ex);  // z_0 = alpha_0 x + sigma_0 eps
    rng_normal(w.z0, D, &ns, 0);
    for (size_t i = 0; i < D; i++) w.z0[i] = (float)(a0 * x[i] + s0 * w.z0[i]);
    terms[b].recon = elbo_recon_nll(w.z0, bytes + (size_t)b * D, D, s->lambda_max);
    terms[b].diffusion = 0;
    RngStream ts = stream(o->seed, RNG_TIME, 0, ex);
    lowdisc_times(w.t, (size_t)K, 0, (size_t)K, rng_uniform_double(&ts, 0));
    for (int k = 0; k < K && !rc; k++) {
      if (n == M) {
        rc = flush(o, &w, owner, n, labels != NULL, terms);
        n = 0;
      }
      w.weight[n] = diffusion_loss_weight(s, &elbo, w.t[k], &w.lambda[n]);
      double a, sg;
      vp_alpha_sigma(w.lambda[n], &a, &sg);
      float *eps = w.eps + (size_t)n * D, *z = w.z + (size_t)n * D;
      RngStream es = stream(o->seed, RNG_NOISE, 1 + (uint32_t)k, ex);
      rng_normal(eps, D, &es, 0);
      for (size_t i = 0; i < D; i++) z[i] = (float)(a * x[i] + sg * eps[i]);
      if (labels) w.labels[n] = labels[b];
      owner[n++] = b;
    }
  }
  if (!rc) rc = flush(o, &w, owner, n, labels != NULL, terms);
  work_free(&w);
  free(owner);
  return rc;
}
