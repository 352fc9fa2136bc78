#define _POSIX_C_SOURCE 200809L
#include "tiny_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "diffusion/adaptive.h"
#include "io/checkpoint.h"
#include "models/unet.h"
#include "models/model_from_config.h"

TinyRun tiny_run_defaults(void) {
  TinyRun t = {"unet", 3, "v", 1, 8, NULL, 1234, 0};
  return t;
}

int tiny_run_config(const TinyRun *t, ConfigSet *cs) {
  char buf[512];
  int rc = config_init_defaults(cs);
  const char *fixed[] = {"model.in_channels=1", "model.base_channels=8", "model.channel_mult=[1,2]",
                         "model.num_res_blocks=1", "model.dropout=0", "model.norm_groups=4"};
  const char *unet[] = {"model.attn_resolutions=[4]", "model.head_channels=8"};
  for (size_t i = 0; !rc && i < sizeof fixed / sizeof fixed[0]; i++) rc = config_apply_override(cs, fixed[i]);
  const char *uvit[] = {"model.arch=uvit", "model.transformer_width=16", "model.transformer_depth=1",
                        "model.transformer_heads=2", "model.transformer_mlp_ratio=2"};
  int is_uvit = !strcmp(t->arch, "uvit");
  for (size_t i = 0; !rc && is_uvit && i < sizeof uvit / sizeof uvit[0]; i++) rc = config_apply_override(cs, uvit[i]);
  for (size_t i = 0; !rc && !is_uvit && i < sizeof unet / sizeof unet[0]; i++) rc = config_apply_override(cs, unet[i]);
  snprintf(buf, sizeof buf, "model.resolution=%d", t->resolution);
  if (!rc) rc = config_apply_override(cs, buf);
  snprintf(buf, sizeof buf, "model.num_classes=%d", t->num_classes);
  if (!rc) rc = config_apply_override(cs, buf);
  snprintf(buf, sizeof buf, "diffusion.parameterization=%s", t->param);
  if (!rc) rc = config_apply_override(cs, buf);
  snprintf(buf, sizeof buf, "model.fourier_features=%s", t->fourier_features ? "true" : "false");
  if (!rc) rc = config_apply_override(cs, buf);
  snprintf(buf, sizeof buf, "diffusion.adaptive=%s", t->adaptive ? "true" : "false");
  if (!rc) rc = config_apply_override(cs, buf);
  if (!rc && t->test_data) {
    snprintf(buf, sizeof buf, "data.test=%s", t->test_data);
    rc = config_apply_override(cs, buf);
  }
  if (!rc) rc = config_validate(cs);
  return rc;
}

int tiny_run_write(const char *run_dir, const TinyRun *t, MPI_Comm comm) {
  ConfigSet cs;
  StepNet u = {0};
  int rc = tiny_run_config(t, &cs);
  if (!rc) rc = model_create_from_config(&u, &cs, 1);
  if (rc) return rc;
  size_t n = u.params.table.total;
  float *arr[4];
  const char *names[4] = {"params", "ema", "adam_m", "adam_v"};
  for (int k = 0; k < 4; k++) {
    arr[k] = malloc(n * sizeof(float));
    fill_uniform(arr[k], n, 100 + k, -0.1f, 0.1f);
  }
  double bins[ADAPTIVE_BINS];
  for (int i = 0; i < ADAPTIVE_BINS; i++) bins[i] = 0.2 + (i % 7) * 0.3;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  rc = f ? config_write_yaml(&cs, f) : vdmc_fail(VDMC_ERR_IO, "open_memstream");
  if (f) fclose(f);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  CheckpointState st;
  checkpoint_state_init(&st, &u.params.table);
  size_t off, cnt;
  checkpoint_partition(n, rank, size, &off, &cnt);
  for (int k = 0; k < 4 && !rc; k++) rc = checkpoint_add_array(&st, names[k], arr[k] + off, off, cnt);
  if (!rc && t->adaptive) rc = checkpoint_add_extra(&st, "adaptive_bins", bins, ADAPTIVE_BINS);
  st.step = t->step;
  st.seed = 7;
  st.config_text = text;
  if (!rc) rc = checkpoint_save(run_dir, &st, 3, comm);
  free(text);
  for (int k = 0; k < 4; k++) free(arr[k]);
  stepnet_free(&u);
  return rc;
}
