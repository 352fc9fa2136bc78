#include "sample/mpi_command.h"

#include <string.h>

#include "core/status.h"

int mpi_command_run(const char *name, int argc, char **argv, void (*usage)(FILE *), MpiCommandBody body) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
  VdmcComm c;
  if (vdmc_mpi_init(&argc, &argv, &c)) {
    fprintf(stderr, "vdmc %s: %s\n", name, vdmc_error_message());
    return 1;
  }
  int rc = body(argc, argv, &c);
  if (rc && c.rank == 0) fprintf(stderr, "vdmc %s: %s\n", name, vdmc_error_message());
  vdmc_mpi_finalize();
  return rc == VDMC_ERR_INPUT ? 2 : rc ? 1 : 0;
}
