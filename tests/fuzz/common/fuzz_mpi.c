#include "fuzz_mpi.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

// No leak checks in the targets that start MPI (this file is linked only into them):
// LSan's check stops every thread through a ptrace tracer, which sometimes dies among
// Open MPI's threads, and at exit it reports what Open MPI's unloaded plugins kept,
// stacks no suppression can match. libFuzzer would report either as a crash of the
// current input. ASan reads these defaults at start-up; ASAN_OPTIONS still wins.
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }

void fuzz_mpi_init(int *argc, char ***argv) {
  VdmcComm comm;
  if (vdmc_mpi_init(argc, argv, &comm) != VDMC_OK) {
    fprintf(stderr, "fuzz_mpi_init: %s\n", vdmc_error_message());
    abort();
  }
  // Errors on MPI_COMM_SELF come back as codes, as on the trainer's communicator.
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
}
