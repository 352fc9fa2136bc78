// The model section of a resolved config as a UNetConfig: the one place that maps
// config keys to the architecture, used by train, sample, eval and info.
#ifndef VDMC_MODELS_UNET_FROM_CONFIG_H
#define VDMC_MODELS_UNET_FROM_CONFIG_H

#include "config/config.h"
#include "models/unet.h"

// Fills u and validates it; errors name the config location of the offending key.
int unet_config_from_config(UNetConfig *u, const ConfigSet *cs);
// After a model config failed validation: the same error prefixed with the config's
// source (file) name; returns VDMC_ERR_INPUT. Shared with uvit_from_config.c.
int model_config_error(const ConfigSet *cs);

#endif
