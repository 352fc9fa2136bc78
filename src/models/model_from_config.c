#include "models/model_from_config.h"

#include <string.h>

#include "core/status.h"
#include "models/unet_from_config.h"
#include "models/uvit.h"
#include "models/uvit_from_config.h"

int model_create_from_config(UNet *net, const ConfigSet *cs, int max_batch) {
  if (!strcmp(cs->values.model.arch, "uvit")) {
    UViTConfig v;
    int rc = uvit_config_from_config(&v, cs);
    return rc ? rc : uvit_create(net, &v, max_batch);
  }
  UNetConfig u;
  int rc = unet_config_from_config(&u, cs);
  return rc ? rc : unet_create(net, &u, max_batch);
}

int model_common_from_config(ModelCommon *m, const ConfigSet *cs, const char *arch, const char *title) {
  const Config *c = &cs->values;
  memset(m, 0, sizeof *m);
  if (strcmp(c->model.arch, arch) != 0)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: model.arch '%s' is not %s", config_where(cs, "model.arch"), c->model.arch,
                     title);
  m->in_channels = m->out_channels = c->model.in_channels;
  m->resolution = c->model.resolution;
  m->dropout = (float)c->model.dropout;
  m->num_classes = c->model.num_classes;
  m->norm_groups = c->model.norm_groups;
  m->lambda_scale = c->model.lambda_scale;
  m->fourier_features = c->model.fourier_features;
  m->fourier_n_min = UNET_FOURIER_N_MIN;
  m->fourier_n_max = UNET_FOURIER_N_MAX;
  return VDMC_OK;
}

int model_config_error(const ConfigSet *cs) {
  return vdmc_fail(VDMC_ERR_INPUT, "%s: %s", cs->source_name, vdmc_error_message());
}
