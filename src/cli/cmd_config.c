// `vdmc config [CONFIG] [--set KEY=VALUE]... [--doc]`: resolve and print a config
// (the same loading path as `vdmc train`), or print the table of every key.
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config_args.h"
#include "config/config.h"
#include "core/status.h"

int cmd_config(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--doc")) {
    config_write_doc(stdout);
    return 0;
  }
  if (argc == 2 && !strcmp(argv[1], "--help")) {
    printf("usage: vdmc config [CONFIG.yaml] [--set KEY=VALUE]...   print the resolved config\n"
           "       vdmc config --doc                                 print the table of keys\n");
    return 0;
  }
  ConfigSet cs;
  int rc = config_args_resolve(&cs, argc - 1, argv + 1, NULL, NULL);
  if (rc) {
    fprintf(stderr, "vdmc config: %s\n", vdmc_error_message());
    return 1;
  }
  return config_write_yaml(&cs, stdout) ? 1 : 0;
}
