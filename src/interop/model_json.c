#include "interop/model_json.h"

#include <string.h>

#include "io/json_write.h"
#include "models/model_from_config.h"
#include "models/unet.h"
#include "models/uvit.h"

static void put_ints(FILE *f, const char *key, const int *v, int n) {
  fprintf(f, ",\"%s\":[", key);
  for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", v[i]);
  fputc(']', f);
}

// The fields both architectures share (models/model_common.h).
static void put_common(FILE *f, const ModelCommon *m) {
  fprintf(f, ",\"in_channels\":%d,\"out_channels\":%d,\"resolution\":%d,\"dropout\":%.9g,\"num_classes\":%d,"
          "\"norm_groups\":%d,\"lambda_scale\":%.17g,\"fourier_features\":%d,\"fourier_n_min\":%d,\"fourier_n_max\":%d",
          m->in_channels, m->out_channels, m->resolution, m->dropout, m->num_classes, m->norm_groups, m->lambda_scale,
          m->fourier_features, m->fourier_n_min, m->fourier_n_max);
}

int model_json_write(FILE *f, const ConfigSet *cs) {
  int rc;
  if (!strcmp(cs->values.model.arch, "uvit")) {
    UViTConfig u;
    if ((rc = uvit_config_from_config(&u, cs))) return rc;
    fputs("{\"arch\":\"uvit\"", f);
    put_common(f, &u.common);
    put_ints(f, "stage_channels", u.stage_channels, u.num_stages);
    put_ints(f, "stage_res_blocks", u.stage_res_blocks, u.num_stages);
    fprintf(f, ",\"emb_channels\":%d,\"width\":%d,\"depth\":%d,\"heads\":%d,\"mlp_ratio\":%d,\"xfmr_dropout\":%.9g}",
            u.emb_channels, u.width, u.depth, u.heads, u.mlp_ratio, u.xfmr_dropout);
    return 0;
  }
  UNetConfig u;
  if ((rc = unet_config_from_config(&u, cs))) return rc;
  ModelCommon m = unet_config_common(&u);
  fputs("{\"arch\":\"unet\"", f);
  put_common(f, &m);
  fprintf(f, ",\"base_channels\":%d", u.base_channels);
  put_ints(f, "channel_mult", u.channel_mult, u.num_levels);
  fprintf(f, ",\"num_res_blocks\":%d", u.num_res_blocks);
  put_ints(f, "attn_resolutions", u.attn_resolutions, u.num_attn);
  fprintf(f, ",\"head_channels\":%d,\"resblock_updown\":%s}", u.head_channels, u.resblock_updown ? "true" : "false");
  return 0;
}

void diffusion_json_write(FILE *f, const ConfigSet *cs) {
  const Config *c = &cs->values;
  fputs("{\"parameterization\":", f);
  json_put_string(f, c->diffusion.parameterization);
  fprintf(f, ",\"sigma_data\":%.17g,\"lambda_min\":%.17g,\"lambda_max\":%.17g}", c->diffusion.sigma_data,
          c->diffusion.lambda_min, c->diffusion.lambda_max);
}
