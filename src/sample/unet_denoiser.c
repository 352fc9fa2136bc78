#include "sample/unet_denoiser.h"

static int unet_denoise(void *ctx, float *out, const float *z, const double *lambda, const int *labels, int B) {
  UNetDenoiser *ud = ctx;
  for (int b = 0; b < B; b++) ud->lambda_f[b] = (float)lambda[b];
  return unet_forward(ud->unet, ud->params, out, z, ud->lambda_f, labels, B, NULL);
}

Denoiser unet_denoiser(UNetDenoiser *ud, PredKind pred, double sigma_data) {
  const UNetConfig *u = &ud->unet->cfg;
  Denoiser d = {unet_denoise, ud, (size_t)u->resolution * u->resolution * u->in_channels, u->num_classes, pred,
                sigma_data, ud->unet->max_batch};
  return d;
}
