// Scalar attributes on HDF5 objects: strings (fixed-length or variable-length on
// read, fixed-length on write) and integers. `path` only names the file in errors.
#ifndef VDMC_IO_H5_ATTR_H
#define VDMC_IO_H5_ATTR_H

#include <hdf5.h>
#include <stddef.h>

// Missing attribute -> VDMC_ERR_IO "PATH: missing attribute 'NAME'" (+ `hint`, may be NULL).
// Fixed-length strings of up to 64 KiB, or variable-length ones (h5py's).
int h5_attr_read_string(hid_t obj, const char *name, char *out, size_t size, const char *path,
                        const char *hint);
// Only fixed-length strings, as vdmc writes them, for files only vdmc writes (datasets):
// a variable-length one is refused before HDF5 reads it from the file's global heap.
int h5_attr_read_fixed_string(hid_t obj, const char *name, char *out, size_t size, const char *path,
                              const char *hint);
int h5_attr_read_int(hid_t obj, const char *name, long long *out, const char *path, const char *hint);
int h5_attr_write_string(hid_t obj, const char *name, const char *value, const char *path);
int h5_attr_write_int(hid_t obj, const char *name, long long value, const char *path);

// The kind of vdmc file at `path` ("dataset", "checkpoint", ...): the root attribute
// vdmc_kind. Opens the file serially and read-only; a non-HDF5 file or a file without
// the attribute is an error naming the file. A file that starts with a checksum
// record (a checkpoint or a dataset) is the kind its record names, without being
// opened (io/file_record.h; "checkpoint" when the record is damaged, for the
// checkpoint readers to name the damage); one that starts with neither that nor the
// HDF5 signature is not a vdmc file.
#define VDMC_KIND_ATTR "vdmc_kind"
int vdmc_file_kind(const char *path, char *kind, size_t size);

#endif
