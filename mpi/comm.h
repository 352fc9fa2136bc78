// MPI set-up and error reporting. Every MPI call in vdmc goes through MPI_TRY or MPI_CHECK so a
// failure reports file:line and MPI's own message (MPI_Error_string) and the
// function returns VDMC_ERR_MPI; MPI_COMM_WORLD uses MPI_ERRORS_RETURN so errors
// come back as values instead of aborting inside the library.
#ifndef VDMC_MPI_COMM_H
#define VDMC_MPI_COMM_H

#include <mpi.h>

typedef struct {
  MPI_Comm comm;
  int rank, size;
  int thread_level;  // what MPI_Init_thread provided
} VdmcComm;

// MPI_Init_thread asking for MPI_THREAD_MULTIPLE (the dataset reader thread makes
// MPI-IO calls while the main thread runs collectives); records what was provided.
int vdmc_mpi_init(int *argc, char ***argv, VdmcComm *c);
int vdmc_mpi_finalize(void);
// After a fatal error on one rank: print the message once and MPI_Abort.
void vdmc_mpi_abort(const VdmcComm *c, const char *what);

// Records "<fmt...>: <MPI_Error_string> (dir/file.c:line)" and returns VDMC_ERR_MPI.
// The one MPI failure formatter: MPI_TRY here and MPI_CHECK (io/h5_check.h) use it.
int mpi_fail(int rc, const char *src, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

// Evaluates an MPI call in a function with nothing to clean up; on failure records
// "<the call>: <MPI message> (file:line)" and returns VDMC_ERR_MPI. Functions that
// hold resources use MPI_CHECK (io/h5_check.h), which jumps to their cleanup label.
#define MPI_TRY(call)                                                     \
  do {                                                                    \
    int mpi_try_err_ = (call);                                            \
    if (mpi_try_err_ != MPI_SUCCESS)                                      \
      return mpi_fail(mpi_try_err_, __FILE__, __LINE__, "%s", #call);     \
  } while (0)

#endif
