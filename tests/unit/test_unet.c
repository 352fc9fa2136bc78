// ADM U-Net: parity with the independent PyTorch implementation (tests/reference/unet_ref.py,
// fixtures from gen_unet.py) for the output, loss, every parameter gradient, dx, dlambda
// and a 10-step Adam loss trajectory; no all-zero gradient; finite differences on a tiny
// config (gcd GroupNorm groups, dropout on); bad configs and inputs give clear errors.
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "core/param_table.h"
#include "core/status.h"
#include "model_check.h"
#include "models/unet.h"

// Two levels (mult 1,2), one res block, attention at res/2, 8-channel heads.
static UNetConfig small_config(int res, int channels, int classes, int updown, int groups,
                               float dropout) {
  return (UNetConfig){.in_channels = channels, .out_channels = channels, .resolution = res,
                      .base_channels = 8, .num_levels = 2, .channel_mult = {1, 2},
                      .num_res_blocks = 1, .num_attn = 1, .attn_resolutions = {res / 2},
                      .head_channels = 8, .dropout = dropout, .num_classes = classes,
                      .resblock_updown = updown, .norm_groups = groups, .lambda_scale = 25.0};
}

// tests/reference/gen_unet.py: small_config
static UNetConfig fixture_config(int updown) { return small_config(16, 3, 5, updown, 4, 0); }

static void check_fixture(const char *file, int updown) {
  UNetConfig cfg = fixture_config(updown);
  StepNet u;
  CHECK(unet_create(&u, &cfg, 3) == VDMC_OK, "create: %s", vdmc_error_message());
  model_check_fixture(&u, file, 16, 3, 3);
  stepnet_free(&u);
}

static void check_finite_differences(void) {
  // dropout on; norm_groups 32 > every channel count: all GroupNorms use the gcd rule
  UNetConfig cfg = small_config(8, 2, 3, 1, 32, 0.2f);
  StepNet u;
  CHECK(unet_create(&u, &cfg, 2) == VDMC_OK, "tiny create: %s", vdmc_error_message());
  const char *names[] = {"embed.lin1.weight", "embed.class.table", "in.0.conv.weight",
                         "in.1.res.gn1.weight", "in.2.down.conv1.weight", "in.3.res.skip.weight",
                         "mid.1.attn.qkv.weight", "mid.1.attn.proj.bias", "out.0.res.emb.weight",
                         "out.1.up.conv2.weight", "out.2.res.gn2.bias", "head.conv.weight"};
  model_check_fd(&u, names, (int)(sizeof names / sizeof names[0]), 8, 2);
  stepnet_free(&u);
}

// Fourier-feature input (VDM App. C): the first conv reads C (1 + 2K) channels, and dx
// flows back through sin/cos (low frequencies 2^0, 2^1 here so central differences of
// the input stay accurate; VDM's 2^7, 2^8 only change the constants).
static void check_fourier_features(void) {
  UNetConfig cfg = small_config(8, 2, 3, 1, 32, 0);
  cfg.fourier_features = 1, cfg.fourier_n_min = 0, cfg.fourier_n_max = 1;
  CHECK(unet_input_channels(&cfg) == 2 * 5, "input channels %d (expected 10)", unet_input_channels(&cfg));
  StepNet u;
  CHECK(unet_create(&u, &cfg, 2) == VDMC_OK, "fourier create: %s", vdmc_error_message());
  const ParamInfo *w = NULL;
  for (size_t i = 0; i < u.params.table.count; i++)
    if (!strcmp(u.params.table.items[i].name, "in.0.conv.weight")) w = &u.params.table.items[i];
  CHECK(w && w->shape[2] == 10, "in.0.conv reads the 10 Fourier-feature channels");
  const char *names[] = {"in.0.conv.weight", "in.1.res.gn1.weight", "head.conv.weight"};
  model_check_fd(&u, names, 3, 8, 2);
  stepnet_free(&u);
  cfg.fourier_n_min = 3, cfg.fourier_n_max = 2;
  CHECK(unet_create(&u, &cfg, 2) != VDMC_OK && strstr(vdmc_error_message(), "model.fourier_features"),
        "n_min > n_max refused: %s", vdmc_error_message());
}

// ---- ADM init -----------------------------------------------------------------------------

// Zero-init layers are zero (so the initial output is exactly 0), GN is (1, 0), fan-in
// uniform tensors stay inside +-1/sqrt(fan_in) with the uniform's std, and the same seed
// gives the same buffer.
static void check_init(void) {
  UNetConfig cfg = small_config(16, 3, 5, 1, 4, 0.1f);
  StepNet u;
  CHECK(unet_create(&u, &cfg, 2) == VDMC_OK, "create");
  size_t P = stepnet_param_floats(&u);
  float *a = vdmc_alloc_floats(P), *b = vdmc_alloc_floats(P);
  stepnet_init_params(&u, a, 42);
  stepnet_init_params(&u, b, 42);
  CHECK(memcmp(a, b, P * sizeof *a) == 0, "init is deterministic in the seed");
  int n_zero = 0;
  for (size_t i = 0; i < u.params.table.count; i++) {
    const ParamInfo *pi = &u.params.table.items[i];
    const float *p = a + pi->offset;
    int zero_layer = strstr(pi->name, ".conv2.") || strstr(pi->name, ".proj.") ||
                     strstr(pi->name, "head.conv.");
    double amax = 0, ss = 0;
    for (size_t j = 0; j < pi->numel; j++) {
      amax = fmax(amax, fabs(p[j]));
      ss += (double)p[j] * p[j];
    }
    if (zero_layer || (strstr(pi->name, ".gn") && strstr(pi->name, ".bias"))) {
      n_zero += zero_layer;
      CHECK(amax == 0, "%s is zero-initialised", pi->name);
    } else if (strstr(pi->name, ".gn") && strstr(pi->name, ".weight")) {
      CHECK(p[0] == 1 && p[pi->numel - 1] == 1, "%s is ones", pi->name);
    } else if (strstr(pi->name, ".table")) {
      CHECK(fabs(sqrt(ss / pi->numel) - 1) < 0.1, "%s ~ N(0,1)", pi->name);
    } else {
      double bound = 1.0 / sqrt((double)u.params.init[i].fan_in);
      CHECK(amax <= bound && amax > 0.5 * bound, "%s inside +-1/sqrt(fan_in)", pi->name);
      if (pi->numel >= 1000)
        CHECK(fabs(sqrt(ss / pi->numel) / (bound / sqrt(3.0)) - 1) < 0.1, "%s std", pi->name);
    }
  }
  CHECK(n_zero == 2 * (u.n_res + u.n_attn + 1), "%d zero-init tensors (conv2, proj, head)",
        n_zero);
  float x[2 * 16 * 16 * 3], out[2 * 16 * 16 * 3], lam[2] = {1, -2};
  int labels[2] = {0, 5};
  fill_uniform(x, sizeof x / sizeof *x, 1, -1, 1);
  stepnet_forward(&u, a, out, x, lam, labels, 2, NULL);
  double omax = 0;
  for (size_t i = 0; i < sizeof out / sizeof *out; i++) omax = fmax(omax, fabs(out[i]));
  CHECK(omax == 0, "initial output is exactly zero (zero-init head), max %g", omax);
  vdmc_free_floats(a);
  vdmc_free_floats(b);
  stepnet_free(&u);
}

// ---- bad configs and inputs ---------------------------------------------------------------

static void expect_error(UNetConfig cfg, const char *needle) {
  StepNet u;
  int st = unet_create(&u, &cfg, 2);
  CHECK(st == VDMC_ERR_INPUT && strstr(vdmc_error_message(), needle),
        "bad config rejected naming '%s' (status %d: %s)", needle, st, vdmc_error_message());
  if (st == VDMC_OK) stepnet_free(&u);
}

static void check_bad_configs(void) {
  enum { NBAD = 7 };
  UNetConfig bad[NBAD], c = unet_config_fmnist_default();
  for (int i = 0; i < NBAD; i++) bad[i] = c;
  bad[0].resolution = 30;
  bad[1].head_channels = 24;
  bad[2].base_channels = 48;  // 48 channels: not divisible by 32 groups, not below 32
  bad[3].attn_resolutions[0] = 5;
  bad[4].dropout = 1.0f;
  bad[5].base_channels = 33;
  bad[6].num_levels = 0;
  const char *key[NBAD] = {"model.resolution",       "model.head_channels", "model.norm_groups",
                           "model.attn_resolutions", "model.dropout",       "model.base_channels",
                           "model.channel_mult"};
  for (int i = 0; i < NBAD; i++) expect_error(bad[i], key[i]);

  StepNet u;
  CHECK(unet_create(&u, &c, 2) == VDMC_OK, "fmnist default builds");
  float *params = vdmc_alloc_floats(stepnet_param_floats(&u));
  float x[2 * 28 * 28] = {0}, out[2 * 28 * 28], lam[2] = {0, 0};
  int labels[2] = {3, 11};
  CHECK(stepnet_forward(&u, params, out, x, lam, labels, 2, NULL) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "label 11"),
        "out-of-range label rejected: %s", vdmc_error_message());
  labels[1] = 10;
  CHECK(stepnet_forward(&u, params, out, x, lam, labels, 3, NULL) == VDMC_ERR_INPUT,
        "batch above max_batch rejected");
  CHECK(stepnet_forward(&u, params, out, x, lam, labels, 2, NULL) == VDMC_OK, "null label 10 ok");
  printf("fmnist default: %zu params, %.1f MFLOP forward/image, %.2f MB activations/image\n",
         stepnet_num_params(&u), stepnet_flops_per_image(&u) / 1e6,
         stepnet_arena_bytes_per_image(&u) / 1e6);
  vdmc_free_floats(params);
  stepnet_free(&u);
}

int main(void) {
  check_fixture("unet_updown.bin", 1);
  check_fixture("unet_plain.bin", 0);
  check_finite_differences();
  check_fourier_features();
  check_init();
  check_bad_configs();
  return check_finish("unet");
}
