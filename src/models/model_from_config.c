#include "models/model_from_config.h"

#include <string.h>

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
