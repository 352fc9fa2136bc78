#include "fuzz_mpi.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "mpi/comm.h"

// LSan's leak check stops every thread through a ptrace tracer; with Open MPI's
// threads running the tracer sometimes dies (SIGSEGV, "LeakSanitizer has encountered
// a fatal error"), which libFuzzer reports as a crash of the current input. The
// targets that start MPI therefore run without leak checks: libFuzzer parses its
// flags after LLVMFuzzerInitialize, so appending one here is enough.
static void disable_leak_checks(int *argc, char ***argv) {
  char **args = malloc((size_t)(*argc + 2) * sizeof *args);
  if (!args) abort();
  for (int i = 0; i < *argc; i++) args[i] = (*argv)[i];
  args[(*argc)++] = "-detect_leaks=0";
  args[*argc] = NULL;
  *argv = args;  // kept for the process's life, as libFuzzer keeps argv
}

void fuzz_mpi_init(int *argc, char ***argv) {
  disable_leak_checks(argc, argv);
  VdmcComm comm;
  if (vdmc_mpi_init(argc, argv, &comm) != VDMC_OK) {
    fprintf(stderr, "fuzz_mpi_init: %s\n", vdmc_error_message());
    abort();
  }
  // Errors on MPI_COMM_SELF come back as codes, as on the trainer's communicator.
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
}
