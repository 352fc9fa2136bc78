// The VDM ELBO in nats and bits per dimension (VDM Eq. 11):
//   -ELBO(x) = KL(q(z_1|x) || N(0, I))              prior, at lambda_min
//            + E_{q(z_0|x)}[-log p(x|z_0)]          reconstruction, at lambda_max
//            + L_diffusion(x)                         continuous (w = 1) or discrete T
// 8-bit data: byte k is the value x_k = (2k + 1)/256 - 1 (bin centre in [-1, 1]);
// p(x|z_0) is VDM's per-pixel softmax over the 256 values with logits
// -1/2 ((z_0/alpha_0 - x_k) / e^{-lambda_max/2})^2, i.e. p(x|z_0) proportional
// to q(z_0|x) (VDM Eq. 8, as in the VDM code's decoder). The diffusion term is
// diffusion_loss() with weight -dlambda/dt (ELBO weighting) or
// diffusion_discrete_weight() (VDM Eq. 13-14). bpd = nats / (D ln 2).
#ifndef VDMC_DIFFUSION_ELBO_H
#define VDMC_DIFFUSION_ELBO_H

#include <stddef.h>
#include <stdint.h>

double elbo_data_value(uint8_t k);  // (2k + 1)/256 - 1
// Converts D bytes to data values (float32).
void elbo_encode(float *x, const uint8_t *bytes, size_t D);
// sum_d KL(N(alpha_1 x_d, sigma_1^2) || N(0, 1)) at lambda_min, in nats.
double elbo_prior_kl(const float *x, size_t D, double lambda_min);
// -log p(bytes | z0) in nats for one example (D values), z0 drawn at lambda_max.
double elbo_recon_nll(const float *z0, const uint8_t *bytes, size_t D, double lambda_max);
double elbo_bits_per_dim(double nats, size_t D);

#endif
