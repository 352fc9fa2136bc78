#include "eval/fid_report.h"

#include <stdio.h>

#include "core/status.h"

int fid_report_status(MPI_Comm comm, const char *cmd, int status) {
  int rank = 0, P = 1, first = 0;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &P);
  int mine = status ? rank : P;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == P) return 0;
  if (rank == first) {
    if (rank > 0) fprintf(stderr, "vdmc %s: [rank %d/%d] %s\n", cmd, rank, P, vdmc_error_message());
    else fprintf(stderr, "vdmc %s: %s\n", cmd, vdmc_error_message());
    fflush(stderr);
  }
  return 1;
}
