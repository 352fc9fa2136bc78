#include "cli/commands.h"

#include <stdio.h>

int cmd_version(int argc, char **argv) {
  printf("vdmc %s\n", VDMC_VERSION);
  return 0;
}

const VdmcCommand vdmc_commands[] = {
    {"version", "print the vdmc version", cmd_version},
    {"blas", "show the OpenBLAS core, CPU features, threads and sgemm GFLOP/s", cmd_blas},
};
const int vdmc_command_count = (int)(sizeof vdmc_commands / sizeof vdmc_commands[0]);
