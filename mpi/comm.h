// MPI set-up and error reporting. Every MPI call in vdmc goes through MPI_TRY, MPI_CHECK
// or MPI_STATUS so a failure reports file:line and MPI's own message (MPI_Error_string)
// and the function returns VDMC_ERR_MPI; MPI_COMM_WORLD uses MPI_ERRORS_RETURN so
// errors come back as values instead of aborting inside the library. The exceptions
// are MPI_Wtime (it cannot fail) and, in this file, the calls that set up, report
// and abort.
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
// This process's rank in MPI_COMM_WORLD, or 0 before MPI_Init or when MPI cannot say:
// for messages that only rank 0 prints, from code that also runs without MPI.
int vdmc_mpi_world_rank(void);
// After a fatal error on one rank: print the message once and MPI_Abort.
void vdmc_mpi_abort(const VdmcComm *c, const char *what);

// Records "<fmt...>: <MPI_Error_string> (dir/file.c:line)" and returns VDMC_ERR_MPI.
// The one MPI failure formatter: MPI_TRY, MPI_CHECK and MPI_STATUS use it.
int mpi_fail(int rc, const char *src, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
// VDMC_OK when rc is MPI_SUCCESS, otherwise mpi_fail(rc, ...): MPI_STATUS's function.
int mpi_status(int rc, const char *src, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

// Evaluates an MPI call in a function with nothing to clean up; on failure records
// "<the call>: <MPI message> (file:line)" and returns VDMC_ERR_MPI. Functions that
// hold resources use MPI_CHECK, which jumps to their cleanup label.
#define MPI_TRY(call)                                                     \
  do {                                                                    \
    int mpi_try_err_ = (call);                                            \
    if (mpi_try_err_ != MPI_SUCCESS)                                      \
      return mpi_fail(mpi_try_err_, __FILE__, __LINE__, "%s", #call);     \
  } while (0)

// In a function that declares `int status = VDMC_OK;` and ends with a `cleanup:` label
// (as io/h5_check.h's H5_CHECK): on failure records "<fmt...>: <MPI message> (file:line)"
// in status and jumps to cleanup.
#define MPI_CHECK(call, ...)                                        \
  do {                                                              \
    int mpi_rc_ = (call);                                           \
    if (mpi_rc_ != MPI_SUCCESS) {                                   \
      status = mpi_fail(mpi_rc_, __FILE__, __LINE__, __VA_ARGS__);  \
      goto cleanup;                                                 \
    }                                                               \
  } while (0)

// The status of an MPI call as a value, where the caller keeps its own flow:
//   if (!st) st = MPI_STATUS(MPI_Allreduce(...), "fid: MPI_Allreduce of the sums");
#define MPI_STATUS(call, ...) mpi_status((call), __FILE__, __LINE__, __VA_ARGS__)

#endif
