// The model section of a resolved config as a UNetConfig: the shared keys through
// model_common_from_config (models/model_from_config.h), the U-Net's own keys here;
// used by train, sample, eval and info.
#ifndef VDMC_MODELS_UNET_FROM_CONFIG_H
#define VDMC_MODELS_UNET_FROM_CONFIG_H

#include "config/config.h"
#include "models/unet.h"

// Fills u and validates it; errors name the config location of the offending key.
int unet_config_from_config(UNetConfig *u, const ConfigSet *cs);

#endif
