#include "mpi/stop_flag.h"

#include "core/status.h"
#include "io/h5check.h"

int stop_flag_allreduce(MPI_Comm comm, int local, int *global) {
  int status = VDMC_OK;
  MPI_CHECK(MPI_Allreduce(&local, global, 1, MPI_INT, MPI_MAX, comm));
cleanup:
  return status;
}
