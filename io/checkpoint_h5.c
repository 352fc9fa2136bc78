// HDF5 helpers shared by checkpoint save, load and describe.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"
#include "io/h5_storage.h"

// Largest transfer per collective call: MPI-IO counts are ints, and HDF5 1.10 splits
// badly above 2 GiB, so a slice is moved in pieces of at most this many bytes.
#define CKPT_PIECE_BYTES ((size_t)1 << 30)

int ckpt_fapl_create(MPI_Comm comm, hid_t *fapl) {
  int status = VDMC_OK;
  *fapl = H5I_INVALID_HID;
  H5_CHECK(*fapl = H5Pcreate(H5P_FILE_ACCESS), "checkpoint: H5Pcreate");
  if (comm != MPI_COMM_NULL) {
    H5_CHECK(H5Pset_fapl_mpio(*fapl, comm, MPI_INFO_NULL), "checkpoint: H5Pset_fapl_mpio");
    // All ranks need the same metadata: let one rank read it and broadcast.
    H5_CHECK(H5Pset_all_coll_metadata_ops(*fapl, 1), "checkpoint: H5Pset_all_coll_metadata_ops");
    H5_CHECK(H5Pset_coll_metadata_write(*fapl, 1), "checkpoint: H5Pset_coll_metadata_write");
  } else {
    // Serial readers (describe): lock, but do not fail on file systems without locks.
    H5_CHECK(H5Pset_file_locking(*fapl, 1, 1), "checkpoint: H5Pset_file_locking");
  }
  return VDMC_OK;
cleanup:
  if (*fapl >= 0) H5Pclose(*fapl);
  *fapl = H5I_INVALID_HID;
  return status;
}

int ckpt_dxpl_collective(hid_t *dxpl) {
  int status = VDMC_OK;
  H5_CHECK(*dxpl = H5Pcreate(H5P_DATASET_XFER), "checkpoint: H5Pcreate");
  H5_CHECK(H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE), "checkpoint: H5Pset_dxpl_mpio");
  return VDMC_OK;
cleanup:
  return status;
}

int ckpt_transfer(hid_t dset, hid_t memtype, void *buf, size_t elem_size, size_t offset,
                  size_t count, hid_t dxpl, int is_write, MPI_Comm comm) {
  int status = VDMC_OK;
  hid_t fspace = H5I_INVALID_HID, mspace = H5I_INVALID_HID;
  size_t piece = CKPT_PIECE_BYTES / elem_size;
  uint64_t rounds = (count + piece - 1) / piece, max_rounds = rounds;
  if (comm != MPI_COMM_NULL)
    MPI_CHECK(MPI_Allreduce(&rounds, &max_rounds, 1, MPI_UINT64_T, MPI_MAX, comm), "checkpoint: MPI_Allreduce");
  H5_CHECK(fspace = H5Dget_space(dset), "checkpoint: H5Dget_space");
  char dummy[16];
  for (uint64_t r = 0; r < max_rounds; r++) {
    size_t start = r < rounds ? (size_t)r * piece : count;
    hsize_t n = count - start < piece ? count - start : piece;
    hsize_t at = offset + start, one = 1;
    if (n) {
      H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &at, NULL, &n, NULL), "checkpoint: H5Sselect_hyperslab");
      H5_CHECK(mspace = H5Screate_simple(1, &n, NULL), "checkpoint: H5Screate_simple");
    } else {
      H5_CHECK(H5Sselect_none(fspace), "checkpoint: H5Sselect_none");
      H5_CHECK(mspace = H5Screate_simple(1, &one, NULL), "checkpoint: H5Screate_simple");
      H5_CHECK(H5Sselect_none(mspace), "checkpoint: H5Sselect_none");
    }
    void *p = n ? (char *)buf + start * elem_size : (void *)dummy;
    if (is_write)
      H5_CHECK(H5Dwrite(dset, memtype, mspace, fspace, dxpl, p), "checkpoint: H5Dwrite");
    else
      H5_CHECK(H5Dread(dset, memtype, mspace, fspace, dxpl, p), "checkpoint: H5Dread");
    H5Sclose(mspace);
    mspace = H5I_INVALID_HID;
  }
cleanup:
  if (mspace >= 0) H5Sclose(mspace);
  if (fspace >= 0) H5Sclose(fspace);
  return status;
}

int ckpt_create_1d(hid_t loc, const char *name, hid_t type, size_t n, hid_t *dset) {
  int status = VDMC_OK;
  hid_t space = H5I_INVALID_HID, dcpl = H5I_INVALID_HID;
  hsize_t dim = n;
  H5_CHECK(space = H5Screate_simple(1, &dim, NULL), "checkpoint: H5Screate_simple");
  H5_CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE), "checkpoint: H5Pcreate");
  H5_CHECK(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "checkpoint: H5Pset_fill_time");  // every element is written
  H5_CHECK(*dset = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "checkpoint: H5Dcreate2");
cleanup:
  if (dcpl >= 0) H5Pclose(dcpl);
  if (space >= 0) H5Sclose(space);
  return status;
}

int ckpt_open_1d(hid_t loc, const char *path, const char *file, size_t *n, hid_t *dset) {
  int status = VDMC_OK;
  hid_t space = H5I_INVALID_HID;
  *dset = H5I_INVALID_HID;
  htri_t exists = H5Lexists(loc, path, H5P_DEFAULT);
  if (exists <= 0) return vdmc_fail(VDMC_ERR_IO, "checkpoint %s: no dataset '%s'", file, path);
  H5_CHECK(*dset = H5Dopen2(loc, path, H5P_DEFAULT), "checkpoint: H5Dopen2");
  H5_CHECK(space = H5Dget_space(*dset), "checkpoint: H5Dget_space");
  hsize_t dim = 0;
  if (H5Sget_simple_extent_ndims(space) != 1) {
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s: dataset '%s' is not 1-D", file, path);
    goto cleanup;
  }
  H5_CHECK(H5Sget_simple_extent_dims(space, &dim, NULL), "checkpoint: H5Sget_simple_extent_dims");
  VDMC_CHECK(h5_check_storage(*dset, file, path));
  *n = (size_t)dim;
cleanup:
  if (space >= 0) H5Sclose(space);
  if (status && *dset >= 0) {
    H5Dclose(*dset);
    *dset = H5I_INVALID_HID;
  }
  return status;
}

int ckpt_attr_write(hid_t obj, const char *name, hid_t type, const void *value) {
  int status = VDMC_OK;
  hid_t space = H5I_INVALID_HID, attr = H5I_INVALID_HID;
  H5_CHECK(space = H5Screate(H5S_SCALAR), "checkpoint: H5Screate");
  H5_CHECK(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT), "checkpoint: H5Acreate2");
  H5_CHECK(H5Awrite(attr, type, value), "checkpoint: H5Awrite");
cleanup:
  if (attr >= 0) H5Aclose(attr);
  if (space >= 0) H5Sclose(space);
  return status;
}

int ckpt_attr_write_string(hid_t obj, const char *name, const char *value) {
  int status = VDMC_OK;
  hid_t type = H5I_INVALID_HID;
  H5_CHECK(type = H5Tcopy(H5T_C_S1), "checkpoint: H5Tcopy");
  H5_CHECK(H5Tset_size(type, strlen(value) + 1), "checkpoint: H5Tset_size");
  status = ckpt_attr_write(obj, name, type, value);
cleanup:
  if (type >= 0) H5Tclose(type);
  return status;
}

static int attr_open(hid_t obj, const char *name, const char *file, hid_t *attr) {
  int status = VDMC_OK;
  if (H5Aexists(obj, name) <= 0)
    return vdmc_fail(VDMC_ERR_IO, "%s is not a vdmc checkpoint or is damaged: attribute '%s' missing",
                     file, name);
  H5_CHECK(*attr = H5Aopen(obj, name, H5P_DEFAULT), "checkpoint: H5Aopen");
cleanup:
  return status;
}

int ckpt_attr_read(hid_t obj, const char *name, hid_t type, void *value, const char *file) {
  hid_t attr = H5I_INVALID_HID;
  int status = attr_open(obj, name, file, &attr);
  if (status) return status;
  H5_CHECK(H5Aread(attr, type, value), "checkpoint: H5Aread");
cleanup:
  H5Aclose(attr);
  return status;
}

int ckpt_attr_read_string(hid_t obj, const char *name, char *out, size_t cap, const char *file) {
  hid_t attr = H5I_INVALID_HID, type = H5I_INVALID_HID, mem = H5I_INVALID_HID;
  int status = attr_open(obj, name, file, &attr);
  if (status) return status;
  H5_CHECK(type = H5Aget_type(attr), "checkpoint: H5Aget_type");
  size_t len = H5Tget_size(type);
  if (H5Tget_class(type) != H5T_STRING || len == 0 || len > cap) {
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s: attribute '%s' is not a string of at most %zu bytes",
                       file, name, cap);
    goto cleanup;
  }
  H5_CHECK(mem = H5Tcopy(H5T_C_S1), "checkpoint: H5Tcopy");
  H5_CHECK(H5Tset_size(mem, len), "checkpoint: H5Tset_size");
  H5_CHECK(H5Aread(attr, mem, out), "checkpoint: H5Aread");
  out[len - 1] = '\0';
cleanup:
  if (mem >= 0) H5Tclose(mem);
  if (type >= 0) H5Tclose(type);
  H5Aclose(attr);
  return status;
}

int ckpt_tensor_type(hid_t *type) {
  int status = VDMC_OK;
  hid_t name = H5I_INVALID_HID, shape = H5I_INVALID_HID;
  hsize_t dims = PARAM_MAX_DIMS;
  *type = H5I_INVALID_HID;
  H5_CHECK(name = H5Tcopy(H5T_C_S1), "checkpoint: H5Tcopy");
  H5_CHECK(H5Tset_size(name, PARAM_NAME_LEN), "checkpoint: H5Tset_size");
  H5_CHECK(shape = H5Tarray_create2(H5T_NATIVE_UINT64, 1, &dims), "checkpoint: H5Tarray_create2");
  H5_CHECK(*type = H5Tcreate(H5T_COMPOUND, sizeof(CkptTensorRow)), "checkpoint: H5Tcreate");
  H5_CHECK(H5Tinsert(*type, "name", HOFFSET(CkptTensorRow, name), name), "checkpoint: H5Tinsert");
  H5_CHECK(H5Tinsert(*type, "offset", HOFFSET(CkptTensorRow, offset), H5T_NATIVE_UINT64), "checkpoint: H5Tinsert");
  H5_CHECK(H5Tinsert(*type, "ndim", HOFFSET(CkptTensorRow, ndim), H5T_NATIVE_INT32), "checkpoint: H5Tinsert");
  H5_CHECK(H5Tinsert(*type, "decay", HOFFSET(CkptTensorRow, decay), H5T_NATIVE_INT32), "checkpoint: H5Tinsert");
  H5_CHECK(H5Tinsert(*type, "shape", HOFFSET(CkptTensorRow, shape), shape), "checkpoint: H5Tinsert");
cleanup:
  if (shape >= 0) H5Tclose(shape);
  if (name >= 0) H5Tclose(name);
  if (status && *type >= 0) H5Tclose(*type);
  return status;
}

void ckpt_h5_quiet_begin(H5E_auto2_t *func, void **data) {
  H5Eget_auto2(H5E_DEFAULT, func, data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void ckpt_h5_quiet_end(H5E_auto2_t func, void *data) { H5Eset_auto2(H5E_DEFAULT, func, data); }

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  (void)group, (void)info;
  CkptNameList *l = data;
  if (l->n == CKPT_MAX_GROUP_NAMES || strlen(name) >= CHECKPOINT_NAME_LEN) return -1;
  snprintf(l->names[l->n++], CHECKPOINT_NAME_LEN, "%s", name);
  return 0;
}

int ckpt_list_group(hid_t file, const char *path, const char *group, CkptNameList *l) {
  int status = VDMC_OK;
  hid_t g = H5I_INVALID_HID;
  l->n = 0;
  if (H5Lexists(file, group, H5P_DEFAULT) <= 0) return VDMC_OK;
  H5_CHECK(g = H5Gopen2(file, group, H5P_DEFAULT), "checkpoint %s: /%s", path, group);
  if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_name, l) < 0)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: /%s has more than %d members or a name of %d bytes "
                       "or more", path, group, CKPT_MAX_GROUP_NAMES, CHECKPOINT_NAME_LEN);
cleanup:
  if (g >= 0) H5Gclose(g);
  return status;
}
