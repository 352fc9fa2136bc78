// The frame of a command that runs under mpirun (vdmc sample, eval, fid-stats,
// train-classifier): --help, MPI init, the command line, the body, one error line from
// rank 0, MPI finalize, and the exit status (0 ok, 2 bad input, 1 anything else).
#ifndef VDMC_CLI_MPI_COMMAND_H
#define VDMC_CLI_MPI_COMMAND_H

#include <stdio.h>

#include "mpi/comm.h"

typedef struct {
  const char *name;          // "sample": error lines read "vdmc sample: <message>"
  void (*usage)(FILE *);     // printed to stdout for --help / -h anywhere (exit 0)
  int usage_after_error;     // 1: a bad command line's error line is followed by the usage
  // Fills args from the command line (argv[0] is the command name); runs on every rank
  // after MPI_Init_thread. A failure is the bad command line (VDMC_ERR_INPUT: exit 2).
  int (*parse)(void *args, int argc, char **argv);
  // Collective: the command's work. A failure's line is rank 0's message: agree
  // failures of other ranks with mpi_agree (mpi/agree.h), which hands rank 0 theirs.
  int (*run)(void *args, const VdmcComm *c);
} MpiCommand;

// args: the command's own argument struct, handed to parse and then to run.
int mpi_command_run(const MpiCommand *cmd, void *args, int argc, char **argv);

// Collective, before a command's work: notes its input files (core/output_file.h) and
// has rank 0 check its output targets against the output policy, so a refused target
// is reported before hours of sampling or training rather than after. NULL entries
// are skipped. The writers check again when they write.
int mpi_command_check_files(MPI_Comm comm, const char *const *inputs, int n_inputs, const char *const *outputs,
                            int n_outputs);

#endif
