// Small whole-array HDF5 files (small_h5.h).
#include "io/small_h5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/output_file.h"
#include "core/status.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "io/h5_storage.h"

int small_h5_create(SmallH5 *f, const char *path, const char *kind, int version) {
  memset(f, 0, sizeof *f);
  f->file = -1;
  int status = output_file_begin(&f->out, path);
  if (status) return status;
  h5_quiet();
  hid_t fapl = -1;
  H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: file access list", f->out.tmp_path);
  H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "%s: format bounds",
           f->out.tmp_path);
  H5_CHECK(f->file = H5Fcreate(f->out.tmp_path, H5F_ACC_EXCL, H5P_DEFAULT, fapl), "%s: cannot create",
           f->out.tmp_path);
  f->writing = 1;
  if ((status = h5_attr_write_string(f->file, VDMC_KIND_ATTR, kind, f->out.tmp_path))) goto cleanup;
  status = h5_attr_write_int(f->file, "format_version", version, f->out.tmp_path);
cleanup:
  h5_close_id(fapl);
  return status;
}

int small_h5_finish(SmallH5 *f, int status) {
  if (f->file >= 0 && H5Fclose(f->file) < 0 && !status)
    status = vdmc_fail(VDMC_ERR_IO, "%s: cannot close", f->out.tmp_path);
  f->file = -1;
  if (!f->writing) return status;
  f->writing = 0;
  return output_file_end(&f->out, status);
}

int small_h5_open(SmallH5 *f, const char *path, const char *kind, int version, const char *hint) {
  memset(f, 0, sizeof *f);
  f->file = -1;
  snprintf(f->path, sizeof f->path, "%s", path);
  char found[64];
  int status = vdmc_file_kind(path, found, sizeof found);
  if (status) return status;
  if (strcmp(found, kind))
    return vdmc_fail(VDMC_ERR_IO, "%s: is a vdmc '%s' file, expected '%s'; %s", path, found, kind, hint);
  hid_t fapl = -1;
  long long v = 0;
  H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: file access list", path);
  H5_CHECK(H5Pset_file_locking(fapl, 0, 1), "%s: file locking", path);
  H5_CHECK(f->file = H5Fopen(path, H5F_ACC_RDONLY, fapl), "%s: cannot open", path);
  if ((status = h5_attr_read_int(f->file, "format_version", &v, path, hint))) goto cleanup;
  if (v != version)
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s format_version %lld, this vdmc reads version %d; %s", path,
                       kind, v, version, hint);
cleanup:
  h5_close_id(fapl);
  if (status) small_h5_close(f);
  return status;
}

void small_h5_close(SmallH5 *f) {
  h5_close_id(f->file);
  f->file = -1;
}

int small_h5_write(SmallH5 *f, const char *name, hid_t mem, int ndim, const size_t *shape,
                   const void *data) {
  hsize_t dims[8];
  for (int i = 0; i < ndim; i++) dims[i] = shape[i];
  hid_t space = -1, dset = -1;
  hid_t type = mem == H5T_NATIVE_DOUBLE ? H5T_IEEE_F64LE : H5T_IEEE_F32LE;
  int status = VDMC_OK;
  H5_CHECK(space = H5Screate_simple(ndim, dims, NULL), "%s: /%s", f->out.tmp_path, name);
  H5_CHECK(dset = H5Dcreate2(f->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create /%s", f->out.tmp_path, name);
  H5_CHECK(H5Dwrite(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "%s: cannot write /%s",
           f->out.tmp_path, name);
cleanup:
  h5_close_id(dset);
  h5_close_id(space);
  return status;
}

int small_h5_read(SmallH5 *f, const char *name, hid_t mem, size_t elem_size, int ndim,
                  size_t *shape, void **data) {
  *data = NULL;
  hid_t dset = -1, space = -1;
  int status = VDMC_OK;
  htri_t exists;
  H5_CHECK(exists = H5Lexists(f->file, name, H5P_DEFAULT), "%s: looking up /%s", f->path, name);
  if (!exists) return vdmc_fail(VDMC_ERR_IO, "%s: missing dataset /%s", f->path, name);
  H5_CHECK(dset = H5Dopen2(f->file, name, H5P_DEFAULT), "%s: cannot open /%s", f->path, name);
  H5_CHECK(space = H5Dget_space(dset), "%s: /%s", f->path, name);
  int nd = H5Sget_simple_extent_ndims(space);
  hsize_t dims[8];
  if (nd != ndim || H5Sget_simple_extent_dims(space, dims, NULL) < 0) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: /%s has %d dimensions, expected %d", f->path, name, nd, ndim);
    goto cleanup;
  }
  VDMC_CHECK(h5_check_storage(dset, f->path, name));  // bounds n * elem_size as well
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (shape[i] = (size_t)dims[i]);
  if (!(*data = malloc(n ? n * elem_size : 1))) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory reading /%s", f->path, name);
    goto cleanup;
  }
  H5_CHECK(H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data), "%s: cannot read /%s", f->path,
           name);
cleanup:
  if (status) {
    free(*data);
    *data = NULL;
  }
  h5_close_id(space);
  h5_close_id(dset);
  return status;
}
