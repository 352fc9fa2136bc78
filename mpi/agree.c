#include "mpi/agree.h"

#include <stdio.h>

#include "core/status.h"
#include "mpi/comm.h"

int mpi_agree(MPI_Comm comm, int status) {
  int rank, size;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &size));
  // the lowest failing rank, or size when none failed
  int mine = status == VDMC_OK ? size : rank, first = size;
  MPI_TRY(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) return VDMC_OK;
  struct {
    int code;
    char message[1024];  // vdmc_error_message()'s capacity
  } report = {0, ""};
  if (rank == first) {
    report.code = status;
    snprintf(report.message, sizeof report.message, "%s", vdmc_error_message());
  }
  MPI_TRY(MPI_Bcast(&report, (int)sizeof report, MPI_BYTE, first, comm));
  if (first == 0) return vdmc_fail(report.code, "%s", report.message);
  return vdmc_fail(report.code, "rank %d: %s", first, report.message);
}
