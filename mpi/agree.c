#include "mpi/agree.h"

#include <stdio.h>

#include "core/status.h"

int agree_rank0(MPI_Comm comm, int status) {
  char msg[1024] = "";
  int rank;
  MPI_Comm_rank(comm, &rank);
  if (rank == 0 && status) snprintf(msg, sizeof msg, "%s", vdmc_error_message());
  MPI_Bcast(&status, 1, MPI_INT, 0, comm);
  if (!status) return VDMC_OK;
  MPI_Bcast(msg, sizeof msg, MPI_CHAR, 0, comm);
  return rank == 0 ? status : vdmc_fail(status, "%s", msg);
}

int agree_all(MPI_Comm comm, int status) {
  int rank, size, mine, first;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  mine = status ? rank : size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return VDMC_OK;
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", vdmc_error_message());
  MPI_Bcast(msg, sizeof msg, MPI_CHAR, first, comm);
  int code = status;
  MPI_Bcast(&code, 1, MPI_INT, first, comm);
  return vdmc_fail(code ? code : VDMC_ERR_INPUT, "%s", msg);
}
