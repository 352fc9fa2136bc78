// The frame of a command that runs under mpirun (vdmc sample, vdmc eval): --help,
// MPI init, the body, one error line from rank 0, MPI finalize, and the exit status
// (0 ok, 2 bad input, 1 anything else).
#ifndef VDMC_SAMPLE_MPI_COMMAND_H
#define VDMC_SAMPLE_MPI_COMMAND_H

#include <stdio.h>

#include "mpi/comm.h"

// argv[0] is the command name; the body sees the arguments after MPI_Init_thread.
typedef int (*MpiCommandBody)(int argc, char **argv, const VdmcComm *c);
int mpi_command_run(const char *name, int argc, char **argv, void (*usage)(FILE *), MpiCommandBody body);

// Collective: every rank returns the worst status of all ranks. When rank 0 failed,
// its message (printed by mpi_command_run) is the one line; otherwise each failing
// rank prints its own message, and ranks that did not fail record "another rank failed".
int mpi_command_agree(MPI_Comm comm, int status);

#endif
