#include "fuzz_mpi.h"

#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

void fuzz_mpi_init(int *argc, char ***argv) {
  VdmcComm comm;
  // What Open MPI allocates at start-up it keeps for the process's life, partly from
  // plugins built without frame pointers, whose stacks the suppressions of
  // tests/fuzz/lsan.supp cannot match: not leak-checked.
  __lsan_disable();
  int status = vdmc_mpi_init(argc, argv, &comm);
  __lsan_enable();
  if (status != VDMC_OK) {
    fprintf(stderr, "fuzz_mpi_init: %s\n", vdmc_error_message());
    abort();
  }
  // Errors on MPI_COMM_SELF come back as codes, as on the trainer's communicator.
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
}
