// U-ViT: parity with the independent PyTorch implementation (tests/reference/uvit_ref.py,
// fixture from gen_uvit.py) for the output, loss, every parameter gradient, dx, dlambda
// and a 10-step Adam trajectory; no all-zero gradient; finite differences on a tiny
// config (dropout on in res blocks and transformer MLPs, gcd GroupNorm groups); init;
// bad configs; and configs/imagenet128-uvit.yaml builds with the documented size.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config/config.h"
#include "core/status.h"
#include "model_check.h"
#include "models/model_from_config.h"
#include "models/uvit.h"

// Parameters of configs/imagenet128-uvit.yaml (docs/uvit.md; PyTorch's uvit_ref.py
// builds the same count).
#define IMAGENET128_UVIT_PARAMS 2186780163ull

// tests/reference/uvit_ref.py: UViTConfig() defaults
static UViTConfig fixture_config(void) {
  return (UViTConfig){.common = {.in_channels = 3, .out_channels = 3, .resolution = 16, .dropout = 0,
                                 .num_classes = 5, .norm_groups = 4, .lambda_scale = 25.0},
                      .num_stages = 2, .stage_channels = {8, 16}, .stage_res_blocks = {1, 1},
                      .emb_channels = 24, .width = 32, .depth = 2, .heads = 2, .mlp_ratio = 2,
                      .xfmr_dropout = 0};
}

// 8x8x2 images, stages 4 and 8 channels (norm_groups 32: gcd groups), 2x2 tokens.
static UViTConfig tiny_config(void) {
  return (UViTConfig){.common = {.in_channels = 2, .out_channels = 2, .resolution = 8, .dropout = 0.2f,
                                 .num_classes = 3, .norm_groups = 32, .lambda_scale = 25.0},
                      .num_stages = 2, .stage_channels = {4, 8}, .stage_res_blocks = {1, 1},
                      .emb_channels = 12, .width = 8, .depth = 1, .heads = 2, .mlp_ratio = 2,
                      .xfmr_dropout = 0.3f};
}

static void check_fixture(void) {
  UViTConfig cfg = fixture_config();
  StepNet u;
  CHECK(uvit_create(&u, &cfg, 3) == VDMC_OK, "create: %s", vdmc_error_message());
  CHECK(u.n_xfmr == 4 && u.n_attn == 0, "2 transformer blocks = 4 halves, no U-Net attention");
  model_check_fixture(&u, "uvit.bin", 16, 3, 3);
  stepnet_free(&u);
}

static void check_finite_differences(void) {
  UViTConfig cfg = tiny_config();
  StepNet u;
  CHECK(uvit_create(&u, &cfg, 2) == VDMC_OK, "tiny create: %s", vdmc_error_message());
  const char *names[] = {"embed.lin2.weight",      "embed.class.table",      "in.0.conv.weight",
                         "in.1.res.emb.weight",    "in.2.down.weight",       "in.4.down.bias",
                         "mid.0.attn.ada.weight",  "mid.0.attn.qkv.weight",  "mid.0.attn.proj.weight",
                         "mid.0.mlp.ada.bias",     "mid.0.mlp.fc1.weight",   "mid.0.mlp.fc2.weight",
                         "out.0.up.weight",        "out.1.res.skip.weight",  "out.5.res.conv2.weight",
                         "head.conv.weight"};
  model_check_fd(&u, names, (int)(sizeof names / sizeof names[0]), 8, 2);
  stepnet_free(&u);
}

// Zero-init output layers (res conv2, attention proj, MLP fc2, head conv) make the initial
// output exactly 0; everything else is non-zero.
static void check_init(void) {
  UViTConfig cfg = fixture_config();
  StepNet u;
  CHECK(uvit_create(&u, &cfg, 2) == VDMC_OK, "create");
  size_t P = stepnet_param_floats(&u);
  float *a = vdmc_alloc_floats(P);
  stepnet_init_params(&u, a, 42);
  int n_zero = 0;
  for (size_t i = 0; i < u.params.table.count; i++) {
    const ParamInfo *pi = &u.params.table.items[i];
    int zero_layer = strstr(pi->name, ".conv2.") || strstr(pi->name, ".proj.") ||
                     strstr(pi->name, ".fc2.") || strstr(pi->name, "head.conv.");
    int zero_bias = strstr(pi->name, ".gn") && strstr(pi->name, ".bias");
    double amax = 0;
    for (size_t j = 0; j < pi->numel; j++) amax = fmax(amax, fabs(a[pi->offset + j]));
    n_zero += zero_layer;
    CHECK((amax == 0) == (zero_layer || zero_bias), "%s: zero-init %d, max |p| %g", pi->name,
          zero_layer || zero_bias, amax);
  }
  CHECK(n_zero == 2 * (u.n_res + u.n_xfmr + 1), "%d zero-init tensors (conv2, proj, fc2, head)",
        n_zero);
  float x[2 * 16 * 16 * 3], out[2 * 16 * 16 * 3], lam[2] = {1, -2};
  int labels[2] = {0, 5};
  fill_uniform(x, sizeof x / sizeof *x, 1, -1, 1);
  CHECK(stepnet_forward(&u, a, out, x, lam, labels, 2, NULL) == VDMC_OK, "forward");
  double omax = 0;
  for (size_t i = 0; i < sizeof out / sizeof *out; i++) omax = fmax(omax, fabs(out[i]));
  CHECK(omax == 0, "initial output is exactly zero (zero-init head), max %g", omax);
  vdmc_free_floats(a);
  stepnet_free(&u);
}

static void expect_error(UViTConfig cfg, const char *needle) {
  StepNet u;
  int st = uvit_create(&u, &cfg, 2);
  CHECK(st == VDMC_ERR_INPUT && strstr(vdmc_error_message(), needle),
        "bad config rejected naming '%s' (status %d: %s)", needle, st, vdmc_error_message());
  if (st == VDMC_OK) stepnet_free(&u);
}

static void check_bad_configs(void) {
  enum { NBAD = 9 };
  UViTConfig bad[NBAD], c = fixture_config();
  for (int i = 0; i < NBAD; i++) bad[i] = c;
  bad[0].common.resolution = 18;          // not divisible by 2^2
  bad[1].heads = 3;                // does not divide 32
  bad[2].stage_channels[0] = 9;    // odd sinusoid width
  bad[3].common.dropout = 1.0f;
  bad[4].xfmr_dropout = -0.1f;
  bad[5].num_stages = 0;
  bad[6].depth = 0;
  bad[7].stage_channels[1] = 48;   // 48 channels, 4 groups fine; 48 with norm_groups 32: no
  bad[7].common.norm_groups = 32;
  bad[8].stage_res_blocks[1] = 0;
  const char *key[NBAD] = {"model.resolution",    "model.transformer_heads",
                           "model.base_channels", "model.dropout",
                           "model.transformer_dropout", "model.channel_mult",
                           "model.transformer_depth", "model.norm_groups",
                           "model.num_res_blocks"};
  for (int i = 0; i < NBAD; i++) expect_error(bad[i], key[i]);
  UViTConfig small = uvit_config_small();
  CHECK(uvit_config_validate(&small) == VDMC_OK, "the benchmark config is valid: %s",
        vdmc_error_message());
}

// configs/imagenet128-uvit.yaml loads, maps to a UViTConfig and builds at batch 1 with
// the documented parameter count; a U-Net config is refused by the U-ViT mapping.
static void check_imagenet128(void) {
  const char *src = getenv("VDMC_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/configs/imagenet128-uvit.yaml", src ? src : ".");
  ConfigSet cs;
  int st = config_init_defaults(&cs);
  if (!st) st = config_load_file(&cs, path);
  if (!st) st = config_validate(&cs);
  CHECK(st == VDMC_OK, "%s loads: %s", path, vdmc_error_message());
  UViTConfig cfg;
  CHECK(!st && uvit_config_from_config(&cfg, &cs) == VDMC_OK, "maps to a U-ViT: %s",
        vdmc_error_message());
  StepNet u;
  if (!st && uvit_create(&u, &cfg, 1) == VDMC_OK) {
    size_t n = stepnet_num_params(&u);
    CHECK(n == (size_t)IMAGENET128_UVIT_PARAMS, "imagenet128 U-ViT: %zu parameters, documented %zu",
          n, (size_t)IMAGENET128_UVIT_PARAMS);
    printf("imagenet128-uvit: %zu params, %.1f GFLOP forward/image, %.0f MB activations/image\n",
           n, stepnet_flops_per_image(&u) / 1e9, stepnet_arena_bytes_per_image(&u) / 1e6);
    stepnet_free(&u);
  } else {
    CHECK(0, "imagenet128 U-ViT builds: %s", vdmc_error_message());
  }
  ConfigSet dflt;
  config_init_defaults(&dflt);
  CHECK(uvit_config_from_config(&cfg, &dflt) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "model.arch"),
        "a U-Net config is not a U-ViT: %s", vdmc_error_message());
}

int main(void) {
  check_fixture();
  check_finite_differences();
  check_init();
  check_bad_configs();
  check_imagenet128();
  return check_finish("uvit");
}
