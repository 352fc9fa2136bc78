// The diffusion section of a resolved config (src/config) as a DiffusionSpec, so
// `vdmc schedule CONFIG` and the training loop read the same objective. With
// diffusion.adaptive = true the training schedule is the adaptive one (App. F),
// whatever diffusion.schedule names. Errors name the config location of the key.
#ifndef VDMC_DIFFUSION_OBJECTIVE_CONFIG_H
#define VDMC_DIFFUSION_OBJECTIVE_CONFIG_H

#include "config/config.h"
#include "diffusion/objective_spec.h"

int diffusion_spec_from_config(DiffusionSpec *spec, const ConfigSet *cs);

#endif
