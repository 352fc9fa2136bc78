// Shared command-line handling of "[CONFIG.yaml] [--set KEY=VALUE]..." for the
// commands that take a config (config, train, schedule, info).
#ifndef VDMC_CLI_CONFIG_ARGS_H
#define VDMC_CLI_CONFIG_ARGS_H

#include "config/config.h"

// Loads defaults, then the config file (the first argument not starting with "--"),
// or the embedded default when there is none, then every --set in order, then
// validates. Arguments it does not consume are an error unless `other` is non-NULL:
// then other(i) is asked whether argv[i] (and how many following) belong to the
// caller; it returns the number of arguments it takes (0 = unknown argument, < 0 =
// an error it recorded, e.g. "--run: missing value" from flag_value).
typedef int (*config_args_other_fn)(int argc, char **argv, int i, void *ctx);
int config_args_resolve(ConfigSet *cs, int argc, char **argv, config_args_other_fn other, void *ctx);

#endif
