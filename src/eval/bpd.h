// The VDM negative ELBO of 8-bit examples in nats, term by term (VDM Eq. 11):
// prior KL at lambda_min, reconstruction -log p(x|z_0) at lambda_max with one z_0
// draw, and the continuous diffusion loss (w = 1) estimated with K times per example
// from the low-discrepancy sampler t_k = (u0 + k/K) mod 1 (VDM App. I.1), lambda =
// f(t) of the model's training schedule (its importance distribution; the loss does
// not depend on the schedule's shape, VDM Sec. 5.1). Every draw is keyed by the
// example's global index: (seed, RNG_TIME, example) for u0, (seed, RNG_NOISE, sub 0)
// for z_0 and sub 1 + k for the k-th diffusion eps, so the estimate of an example does
// not depend on batching or ranks. docs/sampling.md.
// Legend: B examples, D = H*W*C values per example, K time samples per example.
#ifndef VDMC_EVAL_BPD_H
#define VDMC_EVAL_BPD_H

#include <stddef.h>
#include <stdint.h>

#include "diffusion/schedule.h"
#include "sample/sampler.h"

typedef struct {
  double prior, recon, diffusion;  // nats per example
} ElboTerms;

typedef struct {
  const Denoiser *den;       // the network (its output converts to eps_hat by den->pred)
  const Schedule *schedule;  // prepared; lambda_min / lambda_max are the ELBO's endpoints
  int t_samples;             // K >= 1
  uint64_t seed;
} BpdOptions;

// terms (B) for examples bytes (B, D) with global indices first .. first+B-1 and
// labels (B) (NULL for an unconditional model). The network sees batches of up to
// den->max_batch (example, time) pairs.
int bpd_batch(const BpdOptions *o, const uint8_t *bytes, const int *labels, uint64_t first, int B,
              ElboTerms *terms);

#endif
