// A network (the U-Net or U-ViT step machine) with a weight buffer as a sampler
// Denoiser (forward only, no dropout).
#ifndef VDMC_SAMPLE_NET_DENOISER_H
#define VDMC_SAMPLE_NET_DENOISER_H

#include "models/unet.h"
#include "sample/sampler.h"

typedef struct {
  StepNet *net;
  const float *params;  // (stepnet_param_floats) e.g. the EMA weights
  float *lambda_f;      // (net->max_batch) scratch: lambda as float for stepnet_forward
} NetDenoiser;

// lambda_f must hold net->max_batch floats; pred/sigma_data: the model's parameterization.
Denoiser net_denoiser(NetDenoiser *ud, PredKind pred, double sigma_data);

#endif
