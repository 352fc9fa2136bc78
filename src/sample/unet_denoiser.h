// A U-Net with a weight buffer as a sampler Denoiser (forward only, no dropout).
#ifndef VDMC_SAMPLE_UNET_DENOISER_H
#define VDMC_SAMPLE_UNET_DENOISER_H

#include "models/unet.h"
#include "sample/sampler.h"

typedef struct {
  UNet *unet;
  const float *params;  // (unet_param_floats) e.g. the EMA weights
  float *lambda_f;      // (unet->max_batch) scratch: lambda as float for unet_forward
} UNetDenoiser;

// lambda_f must hold unet->max_batch floats; pred/sigma_data: the model's parameterization.
Denoiser unet_denoiser(UNetDenoiser *ud, PredKind pred, double sigma_data);

#endif
