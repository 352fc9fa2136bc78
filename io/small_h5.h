// Small whole-array HDF5 files written by one rank and read by any: FID statistics
// (fid_stats.h) and the feature classifier (models/classifier.h). Each file carries
// the root attributes vdmc_kind and format_version; open checks both and names the
// file, the value found and what to do. Writes go to PATH.tmp, renamed on success.
#ifndef VDMC_IO_SMALL_H5_H
#define VDMC_IO_SMALL_H5_H

#include <hdf5.h>
#include <stddef.h>

#include "core/output_file.h"

typedef struct {
  char path[OUTPUT_PATH_LEN];  // the file read
  OutputFile out;              // writing: the target and its temporary (core/output_file.h)
  hid_t file;                  // -1 when closed
  int writing;
} SmallH5;

// Checks PATH against the output policy and creates its temporary with vdmc_kind =
// kind and format_version = version.
int small_h5_create(SmallH5 *f, const char *path, const char *kind, int version);
// Closes and renames the temporary over PATH (or deletes it when status != VDMC_OK).
// Returns status, or the close/rename error.
int small_h5_finish(SmallH5 *f, int status);
// Opens read-only and checks vdmc_kind and format_version (a mismatch is VDMC_ERR_IO
// "PATH: ... `hint`").
int small_h5_open(SmallH5 *f, const char *path, const char *kind, int version, const char *hint);
void small_h5_close(SmallH5 *f);

// Writes dataset /name (float64 or float32 per `mem`: H5T_NATIVE_DOUBLE/FLOAT) of
// shape (ndim dims).
int small_h5_write(SmallH5 *f, const char *name, hid_t mem, int ndim, const size_t *shape,
                   const void *data);
// Reads /name, which must have exactly `ndim` dims; shape receives them and *data a
// malloc'd array converted to `mem` (caller frees).
int small_h5_read(SmallH5 *f, const char *name, hid_t mem, size_t elem_size, int ndim,
                  size_t *shape, void **data);

#endif
