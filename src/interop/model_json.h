// The exported architecture and diffusion settings as JSON (docs/interop.md,
// "Metadata"): what python/vdmc_torch.py builds the model and its sampler from, so the
// PyTorch side needs no YAML parser. Keys are the PyTorch module's config fields.
#ifndef VDMC_INTEROP_MODEL_JSON_H
#define VDMC_INTEROP_MODEL_JSON_H

#include <stdio.h>

#include "config/config.h"

// {"arch": "unet"|"uvit", ...the resolved architecture fields...}
int model_json_write(FILE *f, const ConfigSet *cs);
// {"parameterization", "sigma_data", "lambda_min", "lambda_max"}
void diffusion_json_write(FILE *f, const ConfigSet *cs);

#endif
