// Checked HDF5 and MPI calls (docs/design.md, Errors are values). Inside a function that declares
// `int status = VDMC_OK;` and ends with a `cleanup:` label that frees whatever was
// opened, every library call is wrapped:
//
//   H5_CHECK(file = H5Fopen(path, H5F_ACC_RDONLY, fapl), "%s: cannot open", path);
//   MPI_CHECK(MPI_Comm_rank(comm, &rank), "%s: MPI_Comm_rank", path);
//
// A negative HDF5 return (hid_t or herr_t) or an MPI code other than MPI_SUCCESS
// records one line "<context>: <library message> (io/x.c:123)" with vdmc_fail and
// jumps to cleanup. The library message is the innermost entry of the HDF5 error
// stack (where the problem was detected) or MPI_Error_string.
#ifndef VDMC_IO_H5_CHECK_H
#define VDMC_IO_H5_CHECK_H

#include <hdf5.h>
#include <mpi.h>

#include "mpi/comm.h"

// MPI_CHECK (mpi/comm.h) has the same shape for MPI calls.
#define H5_CHECK(call, ...)                                   \
  do {                                                        \
    if ((call) < 0) {                                         \
      status = h5_fail(__FILE__, __LINE__, __VA_ARGS__);      \
      goto cleanup;                                           \
    }                                                         \
  } while (0)

// Jumps to cleanup when a vdmc status-returning call fails (its message stands).
#define VDMC_CHECK(call)                 \
  do {                                   \
    status = (call);                     \
    if (status != VDMC_OK) goto cleanup; \
  } while (0)

// Records the message and returns VDMC_ERR_IO; used by H5_CHECK (MPI_CHECK uses
// mpi/comm.h's mpi_fail).
int h5_fail(const char *src, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Turns off HDF5's automatic printing of the error stack (vdmc prints one line
// instead). Idempotent; call before the first HDF5 call of a command or test.
void h5_quiet(void);

// Closes an HDF5 object of any kind if it is open (id >= 0); for cleanup labels.
void h5_close_id(hid_t id);

#endif
