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

int mpi_command_agree(MPI_Comm comm, int status) {
  int rank, worst = status;
  MPI_Comm_rank(comm, &rank);
  if (status && rank != 0) fprintf(stderr, "vdmc: rank %d: %s\n", rank, vdmc_error_message());
  MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, comm);
  if (worst && !status) return vdmc_fail(worst, "another rank failed (see its message above)");
  return worst;
}
