// The model section of a resolved config: the keys both architectures share
// (models/model_common.h) and the denoiser named by model.arch (unet or uvit). Both
// architectures run through the same step machine (models/unet.h), so every caller
// (train, sample, eval, info) uses the UNet API afterwards.
#ifndef VDMC_MODELS_MODEL_FROM_CONFIG_H
#define VDMC_MODELS_MODEL_FROM_CONFIG_H

#include "config/config.h"
#include "models/model_common.h"
#include "models/unet.h"

int model_create_from_config(UNet *net, const ConfigSet *cs, int max_batch);

// Checks that model.arch is `arch` ("unet"; the error calls it `title`, "a U-Net") and
// fills m from the shared keys; unet_from_config.c and uvit_from_config.c map the rest.
int model_common_from_config(ModelCommon *m, const ConfigSet *cs, const char *arch, const char *title);
// After a model config failed validation: the same error prefixed with the config's
// source (file) name; returns VDMC_ERR_INPUT.
int model_config_error(const ConfigSet *cs);

#endif
