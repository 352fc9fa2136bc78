#include "sample/samples_h5.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/output_file.h"
#include "core/status.h"
#include "io/dataset.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

// This rank's rows [first, first + count) of an [n, ...] dataset; count may be 0.
static int write_rows(hid_t dset, const char *tmp, const char *name, hid_t memtype, int rank, const hsize_t *dims,
                      size_t first, size_t count, const void *buf, hid_t dxpl) {
  hid_t fspace = -1, mspace = -1;
  int status = VDMC_OK;
  hsize_t off[4] = {first, 0, 0, 0}, cnt[4] = {count, 0, 0, 0};
  for (int i = 1; i < rank; i++) cnt[i] = dims[i];
  H5_CHECK(fspace = H5Dget_space(dset), "%s: %s", tmp, name);
  H5_CHECK(mspace = H5Screate_simple(rank, cnt, NULL), "%s: %s", tmp, name);
  if (count) {
    H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: %s", tmp, name);
  } else {
    H5_CHECK(H5Sselect_none(fspace), "%s: %s", tmp, name);
    H5_CHECK(H5Sselect_none(mspace), "%s: %s", tmp, name);
  }
  H5_CHECK(H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf), "%s: cannot write %s", tmp, name);
cleanup:
  h5_close_id(mspace);
  h5_close_id(fspace);
  return status;
}

static int write_file(const char *tmp, const DatasetSpec *spec, const uint8_t *bytes, const int32_t *labels,
                      size_t first, size_t count, MPI_Comm comm, uint32_t *userblock) {
  hid_t fapl = -1, dxpl = -1;
  DatasetFile f = {-1, -1, -1, 0};
  int status = VDMC_OK;
  hsize_t idims[4] = {spec->n, spec->h, spec->w, spec->c}, ldims[1] = {spec->n};
  H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: file access list", tmp);
  H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "%s: MPI-IO driver", tmp);
  if ((status = dataset_file_create(tmp, spec, fapl, &f))) goto cleanup;
  *userblock = f.userblock;
  H5_CHECK(dxpl = H5Pcreate(H5P_DATASET_XFER), "%s: transfer list", tmp);
  H5_CHECK(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE), "%s: collective transfer", tmp);
  if ((status = write_rows(f.images, tmp, "/images", H5T_NATIVE_UINT8, 4, idims, first, count, bytes, dxpl)) ||
      (status = write_rows(f.labels, tmp, "/labels", H5T_NATIVE_INT32, 1, ldims, first, count, labels, dxpl)))
    goto cleanup;
cleanup:
  h5_close_id(dxpl);
  dataset_file_close(&f);
  h5_close_id(fapl);
  return status;
}

int samples_h5_write(const char *path, const DatasetSpec *spec, const uint8_t *bytes, const int32_t *labels,
                     size_t first, size_t count, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  h5_quiet();
  int status = VDMC_OK;
  for (size_t i = 0; i < count && !status; i++)
    if (labels[i] < 0 || labels[i] >= spec->num_classes)
      status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: label %d of sample %zu outside [0, %d)", path, labels[i], first + i,
                         spec->num_classes);
  OutputFile out;  // rank 0 checks the target; every rank writes the same temporary
  if (!status && rank == 0) status = output_file_begin(&out, path);
  status = mpi_agree(comm, status);
  if (status) return status;
  MPI_TRY(MPI_Bcast(&out, (int)sizeof out, MPI_BYTE, 0, comm));
  uint32_t userblock = 0;
  status = mpi_agree(comm, write_file(out.tmp_path, spec, bytes, labels, first, count, comm, &userblock));
  // rank 0 seals the closed file (every rank's rows are in it) and commits it, or
  // removes the temporary; every rank learns whether it could
  if (!status && rank == 0) status = dataset_file_seal(out.tmp_path, userblock);
  return mpi_agree(comm, rank == 0 ? output_file_end(&out, status) : status);
}
