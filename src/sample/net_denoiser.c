#include "sample/net_denoiser.h"

static int net_denoise(void *ctx, float *out, const float *z, const double *lambda, const int *labels, int B) {
  NetDenoiser *ud = ctx;
  for (int b = 0; b < B; b++) ud->lambda_f[b] = (float)lambda[b];
  return stepnet_forward(ud->net, ud->params, out, z, ud->lambda_f, labels, B, NULL);
}

Denoiser net_denoiser(NetDenoiser *ud, PredKind pred, double sigma_data) {
  const UNetConfig *u = &ud->net->cfg;
  Denoiser d = {net_denoise, ud, (size_t)u->resolution * u->resolution * u->in_channels, u->num_classes, pred,
                sigma_data, ud->net->max_batch};
  return d;
}
