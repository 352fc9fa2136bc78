// Checked HDF5 and MPI calls (STYLE.md item 5).
// A function that uses these declares `int status = VDMC_OK;` and a `cleanup:` label
// that releases what was opened. A failing call records one line
//   "io/checkpoint.c:123: H5Dwrite(...) failed: <library message>"
// with vdmc_fail() and jumps to cleanup. HDF5 calls fail when they return a
// negative value (hid_t, herr_t, htri_t); MPI calls when they return != MPI_SUCCESS.
#ifndef VDMC_IO_H5CHECK_H
#define VDMC_IO_H5CHECK_H

#include <hdf5.h>
#include <mpi.h>

// Records the failure with the innermost messages of the current HDF5 error stack.
int h5check_fail(const char *file, int line, const char *call);
// Records the failure with MPI_Error_string(code).
int h5check_mpi_fail(const char *file, int line, const char *call, int code);

#define H5_CHECK(call)                                        \
  do {                                                        \
    if ((call) < 0) {                                         \
      status = h5check_fail(__FILE__, __LINE__, #call);       \
      goto cleanup;                                           \
    }                                                         \
  } while (0)

#define MPI_CHECK(call)                                               \
  do {                                                                \
    int mpi_check_rc_ = (call);                                       \
    if (mpi_check_rc_ != MPI_SUCCESS) {                               \
      status = h5check_mpi_fail(__FILE__, __LINE__, #call, mpi_check_rc_); \
      goto cleanup;                                                   \
    }                                                                 \
  } while (0)

// Jumps to cleanup when a vdmc status-returning call fails (its message stands).
#define VDMC_CHECK(call)            \
  do {                              \
    status = (call);                \
    if (status != VDMC_OK) goto cleanup; \
  } while (0)

#endif
