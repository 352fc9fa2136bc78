// The denoiser named by model.arch (unet or uvit), built from a resolved config.
// Both architectures run through the same step machine (models/unet.h), so every
// caller (train, sample, eval, info) uses the UNet API afterwards.
#ifndef VDMC_MODELS_MODEL_FROM_CONFIG_H
#define VDMC_MODELS_MODEL_FROM_CONFIG_H

#include "config/config.h"
#include "models/unet.h"

int model_create_from_config(UNet *net, const ConfigSet *cs, int max_batch);

#endif
