#include "io/h5_attr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/input_file.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/file_record.h"
#include "io/h5_check.h"

static int open_attr(hid_t obj, const char *name, const char *path, const char *hint, hid_t *attr) {
  int status = VDMC_OK;
  htri_t exists;
  H5_CHECK(exists = H5Aexists(obj, name), "%s: cannot look up attribute '%s'", path, name);
  if (!exists)
    return vdmc_fail(VDMC_ERR_IO, "%s: missing attribute '%s'%s%s", path, name, hint ? "; " : "",
                     hint ? hint : "");
  H5_CHECK(*attr = H5Aopen(obj, name, H5P_DEFAULT), "%s: cannot open attribute '%s'", path, name);
cleanup:
  return status;
}

// The longest fixed-length string attribute read: far above any vdmc writes (a path,
// a name), and a bound on the buffer a damaged type's size could ask for.
#define ATTR_STRING_MAX 65536

static int read_string(hid_t obj, const char *name, char *out, size_t size, const char *path, const char *hint,
                       int allow_vlen) {
  hid_t attr = -1, type = -1, mem = -1;
  char *vlen = NULL;
  int status = open_attr(obj, name, path, hint, &attr);
  if (status) return status;
  H5_CHECK(type = H5Aget_type(attr), "%s: attribute '%s'", path, name);
  if (H5Tget_class(type) != H5T_STRING) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: attribute '%s' is not a string", path, name);
    goto cleanup;
  }
  htri_t is_vlen = H5Tis_variable_str(type);
  H5_CHECK(is_vlen, "%s: attribute '%s'", path, name);
  // A variable-length string lives in the file's global heap, which HDF5 1.10.8 reads
  // past on damaged files (docs/reliability.md): refused, unread, where only vdmc writes.
  if (is_vlen && !allow_vlen) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: attribute '%s' is a variable-length string (vdmc writes fixed-length ones)%s%s",
                       path, name, hint ? "; " : "", hint ? hint : "");
    goto cleanup;
  }
  if (!is_vlen && H5Tget_size(type) > ATTR_STRING_MAX) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: attribute '%s' declares a %zu-byte string, more than the %d read", path, name,
                       H5Tget_size(type), ATTR_STRING_MAX);
    goto cleanup;
  }
  H5_CHECK(mem = H5Tcopy(H5T_C_S1), "%s: attribute '%s'", path, name);
  // h5py writes UTF-8 strings; HDF5 converts only between equal character sets.
  H5_CHECK(H5Tset_cset(mem, H5Tget_cset(type)), "%s: attribute '%s'", path, name);
  if (is_vlen) {
    H5_CHECK(H5Tset_size(mem, H5T_VARIABLE), "%s: attribute '%s'", path, name);
    H5_CHECK(H5Aread(attr, mem, &vlen), "%s: cannot read attribute '%s'", path, name);
    snprintf(out, size, "%s", vlen ? vlen : "");
  } else {
    size_t n = H5Tget_size(type);
    char *buf = calloc(n + 1, 1);
    if (!buf) {
      status = vdmc_fail(VDMC_ERR_MEMORY, "%s: attribute '%s': out of memory", path, name);
      goto cleanup;
    }
    herr_t rc = H5Tset_size(mem, n + 1) < 0 ? -1 : H5Aread(attr, mem, buf);
    if (rc >= 0) snprintf(out, size, "%s", buf);
    free(buf);
    H5_CHECK(rc, "%s: cannot read attribute '%s'", path, name);
  }
cleanup:
  if (vlen) H5free_memory(vlen);
  h5_close_id(mem);
  h5_close_id(type);
  h5_close_id(attr);
  return status;
}

int h5_attr_read_string(hid_t obj, const char *name, char *out, size_t size, const char *path,
                        const char *hint) {
  return read_string(obj, name, out, size, path, hint, 1);
}

int h5_attr_read_fixed_string(hid_t obj, const char *name, char *out, size_t size, const char *path,
                              const char *hint) {
  return read_string(obj, name, out, size, path, hint, 0);
}

int h5_attr_read_int(hid_t obj, const char *name, long long *out, const char *path, const char *hint) {
  hid_t attr = -1, type = -1;
  int status = open_attr(obj, name, path, hint, &attr);
  if (status) return status;
  H5_CHECK(type = H5Aget_type(attr), "%s: attribute '%s'", path, name);
  if (H5Tget_class(type) != H5T_INTEGER) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: attribute '%s' is not an integer", path, name);
    goto cleanup;
  }
  H5_CHECK(H5Aread(attr, H5T_NATIVE_LLONG, out), "%s: cannot read attribute '%s'", path, name);
cleanup:
  h5_close_id(type);
  h5_close_id(attr);
  return status;
}

// Creates scalar attribute `name` of file type `type` and writes `value` (memory type `mem`).
static int write_attr(hid_t obj, const char *name, hid_t type, hid_t mem, const void *value,
                      const char *path) {
  hid_t space = -1, attr = -1;
  int status = VDMC_OK;
  H5_CHECK(space = H5Screate(H5S_SCALAR), "%s: attribute '%s'", path, name);
  H5_CHECK(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT),
           "%s: cannot create attribute '%s'", path, name);
  H5_CHECK(H5Awrite(attr, mem, value), "%s: cannot write attribute '%s'", path, name);
cleanup:
  h5_close_id(attr);
  h5_close_id(space);
  return status;
}

int h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path) {
  hid_t type = -1;
  int status = VDMC_OK;
  H5_CHECK(type = H5Tcopy(H5T_C_S1), "%s: attribute '%s'", path, name);
  H5_CHECK(H5Tset_size(type, strlen(value) + 1), "%s: attribute '%s'", path, name);
  status = write_attr(obj, name, type, type, value, path);
cleanup:
  h5_close_id(type);
  return status;
}

int h5_attr_write_int(hid_t obj, const char *name, long long value, const char *path) {
  return write_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value, path);
}

int vdmc_file_kind(const char *path, char *kind, size_t size) {
  hid_t file = -1;
  int status = VDMC_OK;
  h5_quiet();
  if ((status = input_file_check(path, "file"))) return status;
  FileStart start = file_record_start(path);
  if (start == FILE_START_RECORD) {  // HDF5 sees it only after its checksum is verified
    // The kind the record names (its own CRC checked); a damaged record goes to the
    // checkpoint reader, which names the damage as every checkpoint reader does.
    snprintf(kind, size, "%s", file_kind_name(file_record_kind(path)));
    return VDMC_OK;
  }
  // HDF5 would also find a superblock after a userblock, e.g. behind a damaged record
  if (start != FILE_START_HDF5 || H5Fis_hdf5(path) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return vdmc_fail(VDMC_ERR_IO, "%s: not an HDF5 file (or truncated/corrupted)", path);
  }
  H5_CHECK(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), "%s: cannot open", path);
  status = h5_attr_read_string(file, VDMC_KIND_ATTR, kind, size, path,
                               "not a vdmc file (datasets are made by `vdmc prepare`)");
cleanup:
  h5_close_id(file);
  return status;
}
