// The model section of a resolved config (model.arch: uvit) as a UViTConfig: the one
// place that maps config keys to the U-ViT architecture.
#ifndef VDMC_MODELS_UVIT_FROM_CONFIG_H
#define VDMC_MODELS_UVIT_FROM_CONFIG_H

#include "config/config.h"
#include "models/uvit.h"

// Conv stage s gets base_channels * channel_mult[s] channels and num_res_blocks res
// blocks. Fills u and validates it; errors name the config location of the key.
int uvit_config_from_config(UViTConfig *u, const ConfigSet *cs);

#endif
