#include "cli/config_args.h"

#include <string.h>

#include "core/status.h"

int config_args_resolve(ConfigSet *cs, int argc, char **argv, config_args_other_fn other, void *ctx) {
  int rc = config_init_defaults(cs);
  if (rc) return rc;
  const char *file = NULL;
  // first pass: find the config file so --set applies on top of it
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--set")) {
      i++;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] == '-') {
      int took = other ? other(argc, argv, i, ctx) : 0;
      if (took <= 0) return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s'", argv[i]);
      i += took - 1;
      continue;
    }
    if (file) return vdmc_fail(VDMC_ERR_INPUT, "more than one config file given ('%s' and '%s')", file, argv[i]);
    file = argv[i];
  }
  rc = file ? config_load_file(cs, file)
            : config_load_text(cs, vdmc_default_config_yaml, "embedded default config (configs/fmnist.yaml)");
  if (rc) return rc;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--set")) continue;
    if (i + 1 >= argc) return vdmc_fail(VDMC_ERR_INPUT, "--set needs KEY=VALUE");
    rc = config_apply_override(cs, argv[++i]);
    if (rc) return rc;
  }
  return config_validate(cs);
}

