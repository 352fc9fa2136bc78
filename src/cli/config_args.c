#include "cli/config_args.h"

#include <string.h>

#include "core/status.h"

// The key of "KEY=VALUE" (the whole text when there is no '=').
static size_t key_length(const char *assignment) { return strcspn(assignment, "="); }

// A key set twice on the command line is refused like a key given twice in a file:
// "--set optim.lr given twice (arguments 4 and 6)" (argument numbers after the verb).
static int check_repeated_set(int argc, char **argv, int i) {
  size_t n = key_length(argv[i]);
  for (int j = 1; j < i; j++)
    if (!strcmp(argv[j - 1], "--set") && key_length(argv[j]) == n && !strncmp(argv[j], argv[i], n))
      return vdmc_fail(VDMC_ERR_INPUT, "--set %.*s given twice (arguments %d and %d); give each key once",
                       (int)n, argv[i], j + 1, i + 1);
  return VDMC_OK;
}

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
      if (took < 0) return VDMC_ERR_INPUT;
      if (took == 0) return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s'", argv[i]);
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
    if ((rc = check_repeated_set(argc, argv, i + 1))) return rc;
    rc = config_apply_override(cs, argv[++i]);
    if (rc) return rc;
  }
  return config_validate(cs);
}

