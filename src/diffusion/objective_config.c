#include "diffusion/objective_config.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"

static int set_name(DiffusionSpec *spec, const ConfigSet *cs, const char *key, const char *value) {
  char path[64], where[CONFIG_WHERE_LEN + 80];
  snprintf(path, sizeof path, "diffusion.%s", key);
  const char *src = config_where(cs, path);  // "file.yaml:3:5", "--set diffusion.x" or "default"
  if (strstr(src, path)) snprintf(where, sizeof where, "%s", src);
  else snprintf(where, sizeof where, "%s: %s", src, path);
  return diffusion_spec_set(spec, key, value, where);
}

int diffusion_spec_from_config(DiffusionSpec *spec, const ConfigSet *cs) {
  const Config *c = &cs->values;
  diffusion_spec_defaults(spec);
  int rc = set_name(spec, cs, "schedule", c->diffusion.schedule);
  if (!rc) rc = set_name(spec, cs, "weighting", c->diffusion.weighting);
  if (!rc) rc = set_name(spec, cs, "parameterization", c->diffusion.parameterization);
  if (rc) return rc;
  spec->lambda_min = c->diffusion.lambda_min;
  spec->lambda_max = c->diffusion.lambda_max;
  spec->bias = c->diffusion.weighting_bias;
  spec->sigma_data = c->diffusion.sigma_data;
  spec->shift_base = c->diffusion.shift_base;
  spec->resolution = c->model.resolution;  // the shift s = log(shift_base / resolution)
  if (c->diffusion.adaptive) {
    spec->schedule = SCHEDULE_ADAPTIVE;
    spec->shifted_schedule = 0;
  }
  return VDMC_OK;
}
