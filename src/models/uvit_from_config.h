// The model section of a resolved config (model.arch: uvit) as a UViTConfig: the keys
// of the U-ViT architecture (the shared ones come from model_common_from_config).
#ifndef VDMC_MODELS_UVIT_FROM_CONFIG_H
#define VDMC_MODELS_UVIT_FROM_CONFIG_H

#include "config/config.h"
#include "models/uvit.h"

// Conv stage s gets base_channels * channel_mult[s] channels and num_res_blocks res
// blocks; the shared keys go through model_common_from_config (models/model_from_config.h).
// Fills u and validates it; errors name the config location of the key.
int uvit_config_from_config(UViTConfig *u, const ConfigSet *cs);

#endif
