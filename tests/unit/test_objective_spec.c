// Key/value description of an objective (shared by CLI flags and the config loader).
#include <math.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "diffusion/objective_config.h"
#include "diffusion/objective_spec.h"

int main(void) {
  DiffusionSpec spec;
  Schedule s;
  Weighting w;
  diffusion_spec_defaults(&spec);
  CHECK(diffusion_spec_build(&spec, &s, &w) == 0, "defaults build");
  CHECK(s.kind == SCHEDULE_COSINE && w.kind == WEIGHTING_SIGMOID && w.bias == 2 && s.lambda_min == -20 &&
            s.lambda_max == 20 && s.shift == 0 && w.shift == 0,
        "defaults: cosine, sigmoid(-l + 2), [-20, 20]");

  CHECK(diffusion_spec_set(&spec, "schedule", "shifted-cosine", "t") == 0, "set schedule");
  CHECK(diffusion_spec_set(&spec, "resolution", "128", "t") == 0, "set resolution");
  CHECK(diffusion_spec_set(&spec, "weighting", "edm-monotonic", "t") == 0, "set weighting");
  CHECK(diffusion_spec_set(&spec, "lambda_max", "15", "t") == 0, "set lambda_max");
  CHECK(diffusion_spec_set(&spec, "parameterization", "v", "t") == 0 && spec.pred == PRED_V, "set pred");
  CHECK(diffusion_spec_build(&spec, &s, &w) == 0, "build shifted");
  CHECK_CLOSE(s.shift, log(0.5), 1e-15, 0, "schedule shift log(64/128)");
  CHECK_CLOSE(w.shift, log(0.5), 1e-15, 0, "weighting shift");
  CHECK(s.lambda_max == 15 && s.lambda_min == -20, "range override");
  CHECK(s.mass > 0.99 && s.mass < 1, "build prepared the truncation (mass %g)", s.mass);

  diffusion_spec_defaults(&spec);
  CHECK(diffusion_spec_set(&spec, "schedule", "edm-sampling", "t") == 0, "edm sampling");
  CHECK(diffusion_spec_build(&spec, &s, &w) == 0, "build edm sampling");
  CHECK_CLOSE(s.lambda_min, -2 * log(80.0), 1e-12, 0, "natural lambda_min");
  CHECK_CLOSE(s.lambda_max, -2 * log(0.002), 1e-12, 0, "natural lambda_max");
  CHECK(s.shift == 0, "plain schedules are not shifted");

  CHECK(diffusion_spec_set(&spec, "weighting", "edm-mono", "cfg.yaml: diffusion.weighting") == VDMC_ERR_INPUT,
        "unknown weighting");
  CHECK(strstr(vdmc_error_message(), "cfg.yaml: diffusion.weighting: unknown weighting 'edm-mono'") != NULL,
        "message names where and what: %s", vdmc_error_message());
  CHECK(diffusion_spec_set(&spec, "bias", "1e400", "--bias") != 0, "non-finite number rejected");
  CHECK(diffusion_spec_set(&spec, "bias", "2x", "--bias") != 0, "trailing junk rejected");
  CHECK(diffusion_spec_set(&spec, "colour", "red", "--colour") != 0, "unknown key rejected");
  CHECK(strstr(vdmc_error_message(), "unknown diffusion key 'colour'") != NULL, "unknown key named");
  spec.resolution = 0;
  CHECK(diffusion_spec_build(&spec, &s, &w) != 0, "resolution 0 rejected");

  // from a resolved config: same keys, adaptive overrides the schedule name
  ConfigSet cs;
  CHECK(config_init_defaults(&cs) == 0, "config defaults");
  CHECK(config_load_text(&cs,
                         "diffusion:\n  schedule: shifted-cosine\n  adaptive: false\n  weighting: v-prediction\n"
                         "  weighting_bias: 3\n  lambda_min: -15\n  shift_base: 32\n  parameterization: F\n",
                         "t.yaml") == 0,
        "load: %s", vdmc_error_message());
  CHECK(diffusion_spec_from_config(&spec, &cs) == 0, "from config");
  CHECK(spec.schedule == SCHEDULE_COSINE && spec.shifted_schedule && spec.weighting == WEIGHTING_V &&
            spec.bias == 3 && spec.lambda_min == -15 && spec.pred == PRED_F && spec.shift_base == 32,
        "config values carried over");
  spec.resolution = 128;
  CHECK(diffusion_spec_build(&spec, &s, &w) == 0, "build from config");
  CHECK_CLOSE(s.shift, log(32.0 / 128.0), 1e-15, 0, "s = log(shift_base / resolution)");
  CHECK(config_apply_override(&cs, "diffusion.adaptive=true") == 0, "override");
  CHECK(diffusion_spec_from_config(&spec, &cs) == 0 && spec.schedule == SCHEDULE_ADAPTIVE, "adaptive wins");
  // a bad name is refused by the config layer itself (diffusion.weighting is a choice
  // key, tests/unit/test_config_names.c), before any diffusion spec is built
  CHECK(config_apply_override(&cs, "diffusion.weighting=sigmoidal") != 0, "bad weighting name in a config");
  CHECK(strstr(vdmc_error_message(), "diffusion.weighting") && strstr(vdmc_error_message(), "sigmoidal"),
        "message names key and value: %s", vdmc_error_message());
  return check_finish("objective_spec");
}
