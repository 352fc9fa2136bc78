// The model section of a resolved config: the keys both architectures share
// (models/model_common.h) and those of the denoiser named by model.arch (unet or uvit).
// Both architectures run through the same step machine (models/unet.h), so every
// caller (train, sample, eval, info, export) uses that API afterwards.
#ifndef VDMC_MODELS_MODEL_FROM_CONFIG_H
#define VDMC_MODELS_MODEL_FROM_CONFIG_H

#include "config/config.h"
#include "models/unet.h"
#include "models/uvit.h"

// Builds the network model.arch names, for batches of up to max_batch images.
int model_create_from_config(StepNet *net, const ConfigSet *cs, int max_batch);
// Sets the precision train.precision names (stepnet_set_precision, which plans the arena
// for it): the training's, and what `vdmc info` sizes; sample, eval and export stay fp32.
int model_set_train_precision(StepNet *net, const ConfigSet *cs);

// The config of one architecture (model.arch must name it): fills u and validates
// it; errors name the config location of the offending key.
int unet_config_from_config(UNetConfig *u, const ConfigSet *cs);
// Conv stage s gets base_channels * channel_mult[s] channels and num_res_blocks res
// blocks (or model.stage_res_blocks[s]).
int uvit_config_from_config(UViTConfig *u, const ConfigSet *cs);

#endif
