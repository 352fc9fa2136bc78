// ckpt_file_open: the one way every reader of a checkpoint-format file (load, peek,
// describe, compare; through them train --resume, sample, eval, export, vdmc ema,
// RUN/best.h5) opens it: the path is a regular file, its whole-file checksum record
// (io/file_record.h) matches, and only then does HDF5 see it. vdmc upgrade
// alone opens a format_version 1 file (no record: HDF5's signature at byte 0) through
// the same function, asked for version 1.
#include <stdio.h>
#include <string.h>

#include "core/input_file.h"
#include "core/output_file.h"
#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/file_record.h"
#include "io/h5_check.h"
#include "mpi/agree.h"

// Rank 0's checks before HDF5 may open the file as format `format_version`.
static int check_before_hdf5(const char *path, int format_version) {
  int status = input_file_check(path, "checkpoint");
  if (status) return status;
  if (format_version != 1) {
    char hint[CKPT_PATH_LEN + 96];
    snprintf(hint, sizeof hint, "this vdmc reads format_version 2: run `vdmc upgrade %s` to add it", path);
    return file_record_verify(path, FILE_KIND_CHECKPOINT, hint);
  }
  // A version 1 file has no record: nothing but the per-array CRCs protects it, so
  // only a file that starts as HDF5 itself is handed to HDF5 (docs/checkpoints.md,
  // "Upgrading format_version 1").
  FileStart start = file_record_start(path);
  if (start == FILE_START_RECORD)
    return vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s is not format_version 1: it starts with a checksum record",
                     path);
  if (start != FILE_START_HDF5)
    return vdmc_fail(VDMC_ERR_INPUT, "%s is not a vdmc checkpoint: neither a checksum record nor HDF5's signature "
                     "at byte 0", path);
  return VDMC_OK;
}

int ckpt_file_open_as(const char *path, int format_version, MPI_Comm comm, hid_t *file) {
  int rank = 0, status = VDMC_OK;
  hid_t fapl = H5I_INVALID_HID;
  *file = H5I_INVALID_HID;
  if (comm != MPI_COMM_NULL) MPI_TRY(MPI_Comm_rank(comm, &rank));
  // Rank 0 reads the file once; a verified file is the same for every rank.
  if (rank == 0) status = check_before_hdf5(path, format_version);
  if (comm != MPI_COMM_NULL) status = mpi_agree(comm, status);
  if (status) return status;
  if (rank != 0) output_note_input(path);  // every rank's writers must refuse it as a target
  VDMC_CHECK(ckpt_fapl_create(comm, &fapl));
  *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (*file < 0) {
    char why[1024];
    h5_fail(__FILE__, __LINE__, "checkpoint: H5Fopen");
    const char *hdf5_words = strstr(vdmc_error_message(), "failed: ");  // drop our file:line
    snprintf(why, sizeof why, "%s", hdf5_words ? hdf5_words + 8 : vdmc_error_message());
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s cannot be opened (%s): %s", path,
                       format_version == 1 ? "truncated or not HDF5?" : "not HDF5 after its checksum record?", why);
  }
cleanup:
  if (fapl >= 0) H5Pclose(fapl);
  return status;
}

int ckpt_file_open(const char *path, MPI_Comm comm, hid_t *file) {
  return ckpt_file_open_as(path, CHECKPOINT_FORMAT_VERSION, comm, file);
}
