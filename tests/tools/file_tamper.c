// file_tamper: rewrites one field of a real checkpoint or dataset the way a damaged
// or crafted file would have it, for tests/cli/bad_checkpoints.sh and
// bad_datasets.sh. CI has no h5py, so the damage is done here with the HDF5 C API.
//   file_tamper FILE attr NAME VALUE          root attribute (written in its own type)
//   file_tamper FILE row I FIELD VALUE        /tensors row I: ndim|offset|decay|shape0..3|name
//   file_tamper FILE config-sub OLD NEW keep-crc|fix-crc   replace bytes of /config (same length)
//   file_tamper FILE value DATASET INDEX VALUE keep-crc|fix-crc   element of a float or double
//                                             DATASET (VALUE as strtod reads it: 1e30, nan, inf)
//   file_tamper FILE huge DATASET N           DATASET's first dimension declares N, none stored
//   file_tamper FILE drop DATASET             delete DATASET
//   file_tamper FILE set DATASET I VALUE      integer element I of a 1-D DATASET
// Bytes, not fields (the file is not opened by HDF5 to change them):
//   file_tamper FILE flip OFFSET              XOR 0xff into the byte at OFFSET
//   file_tamper FILE flip-data DATASET        XOR 0xff into the middle byte of DATASET's data
//   file_tamper FILE cut BYTES                truncate the file to BYTES bytes
//   file_tamper FILE append BYTES             append BYTES zero bytes
//   file_tamper FILE legacy                   a format_version 1 file: no checksum record
//                                             (the userblock cut off), format_version 1
// A checkpoint's whole-file checksum record (io/file_record.h) is rewritten
// after the change, so the inner checks (per-array CRCs, field validation) see the
// damage; `file_tamper --stale-record FILE ...` leaves it as it was, to test the record.
#define _POSIX_C_SOURCE 200809L  // pread, pwrite, truncate
#include <fcntl.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/file_record.h"
#include "io/h5_storage.h"

static int die(const char *what) {
  fprintf(stderr, "file_tamper: %s\n", what);
  return 1;
}

static int set_attr(hid_t file, const char *name, const char *value) {
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  if (a < 0) return die("no such attribute");
  hid_t t = H5Aget_type(a);
  int rc;
  if (H5Tget_sign(t) == H5T_SGN_NONE) {
    unsigned long long v = strtoull(value, NULL, 0);
    rc = H5Awrite(a, H5T_NATIVE_ULLONG, &v);
  } else {
    long long v = strtoll(value, NULL, 0);
    rc = H5Awrite(a, H5T_NATIVE_LLONG, &v);
  }
  H5Tclose(t);
  H5Aclose(a);
  return rc < 0 ? die("H5Awrite") : 0;
}

static int set_row(hid_t file, long i, const char *field, const char *value) {
  hid_t d = H5Dopen2(file, "tensors", H5P_DEFAULT), type;
  if (d < 0 || ckpt_tensor_type(&type)) return die("no /tensors");
  hssize_t n = H5Sget_simple_extent_npoints(H5Dget_space(d));
  CkptTensorRow *rows = calloc((size_t)n, sizeof *rows);
  if (i < 0 || i >= n || H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows) < 0) return die("bad row");
  CkptTensorRow *r = &rows[i];
  long long v = strtoll(value, NULL, 0);
  if (!strcmp(field, "ndim")) r->ndim = (int32_t)v;
  else if (!strcmp(field, "decay")) r->decay = (int32_t)v;
  else if (!strcmp(field, "offset")) r->offset = (uint64_t)v;
  else if (!strncmp(field, "shape", 5)) r->shape[atoi(field + 5)] = (uint64_t)v;
  else if (!strcmp(field, "name")) snprintf(r->name, sizeof r->name, "%s", value);
  else return die("unknown row field");
  int rc = H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, rows);
  free(rows);
  H5Tclose(type);
  H5Dclose(d);
  return rc < 0 ? die("H5Dwrite") : 0;
}

// Reads a whole 1-D dataset as raw native bytes of `mem`.
static void *read_all(hid_t d, hid_t mem, size_t *n) {
  hid_t s = H5Dget_space(d);
  *n = (size_t)H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  void *buf = calloc(*n + 1, H5Tget_size(mem));
  if (buf && *n && H5Dread(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

static int write_crc(hid_t d, const void *buf, size_t bytes) {
  uint32_t crc = (uint32_t)crc32_z(0, buf, bytes);
  hid_t a = H5Aopen(d, "crc32", H5P_DEFAULT);
  int rc = a < 0 ? -1 : H5Awrite(a, H5T_NATIVE_UINT32, &crc);
  if (a >= 0) H5Aclose(a);
  return rc;
}

static int config_sub(hid_t file, const char *old, const char *new, int fix_crc) {
  size_t n, len = strlen(old);
  if (strlen(new) != len) return die("OLD and NEW must have the same length");
  hid_t d = H5Dopen2(file, "config", H5P_DEFAULT);
  char *text = d < 0 ? NULL : read_all(d, H5T_NATIVE_CHAR, &n);
  char *at = text ? strstr(text, old) : NULL;
  if (!at) return die("OLD not found in /config");
  memcpy(at, new, len);
  if (H5Dwrite(d, H5T_NATIVE_CHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0) return die("H5Dwrite");
  if (fix_crc && write_crc(d, text, n) < 0) return die("crc32");
  free(text);
  H5Dclose(d);
  return 0;
}

static int put_value(hid_t file, const char *name, long index, double value, int fix_crc) {
  size_t n;
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return die("no such dataset");
  hid_t ftype = H5Dget_type(d), mem = H5Tget_native_type(ftype, H5T_DIR_DEFAULT);
  size_t esize = H5Tget_size(mem);
  char *x = read_all(d, mem, &n);
  if (!x || index < 0 || (size_t)index >= n || H5Tget_class(mem) != H5T_FLOAT) return die("no such float element");
  if (esize == sizeof(float)) ((float *)x)[index] = (float)value;
  else ((double *)x)[index] = value;
  if (H5Dwrite(d, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) return die("H5Dwrite");
  if (fix_crc && write_crc(d, x, n * esize) < 0) return die("crc32");
  H5Tclose(mem);
  H5Tclose(ftype);
  free(x);
  H5Dclose(d);
  return 0;
}

// DATASET replaced by one of the same type and trailing dimensions whose first
// dimension declares n elements, none of them stored (a 20 KB file can declare
// terabytes); its crc32 attribute is kept.
static int make_huge(hid_t file, const char *name, unsigned long long n) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return die("no such dataset");
  hid_t type = H5Dget_type(d), old_space = H5Dget_space(d);
  hsize_t dims[8], chunk[8];
  int nd = H5Sget_simple_extent_dims(old_space, dims, NULL);
  H5Sclose(old_space);
  uint32_t crc = 0;
  int has_crc = H5Aexists(d, "crc32") > 0;
  if (has_crc) {
    hid_t a = H5Aopen(d, "crc32", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_UINT32, &crc);
    H5Aclose(a);
  }
  H5Dclose(d);
  H5Ldelete(file, name, H5P_DEFAULT);
  dims[0] = n;
  for (int i = 0; i < nd; i++) chunk[i] = dims[i];
  chunk[0] = n < 1024 ? n : 1024;
  hid_t space = H5Screate_simple(nd, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, nd, chunk);
  d = H5Dcreate2(file, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  if (d < 0) return die("H5Dcreate2");
  if (has_crc) {
    hid_t s1 = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(d, "crc32", H5T_NATIVE_UINT32, s1, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_UINT32, &crc);
    H5Aclose(a);
    H5Sclose(s1);
  }
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Tclose(type);
  return 0;
}

static int set_element(hid_t file, const char *name, unsigned long long i, long long value) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  if (d < 0) return die("no such dataset");
  hid_t fs = H5Dget_space(d), ms = H5Screate(H5S_SCALAR);
  hsize_t at = i;
  int rc = H5Sselect_elements(fs, H5S_SELECT_SET, 1, &at) < 0 ||
           H5Dwrite(d, H5T_NATIVE_LLONG, ms, fs, H5P_DEFAULT, &value) < 0;
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(d);
  return rc ? die("cannot write the element") : 0;
}

static int flip_byte(const char *path, unsigned long long at) {
  int fd = open(path, O_RDWR);
  unsigned char b;
  int ok = fd >= 0 && pread(fd, &b, 1, (off_t)at) == 1;
  b ^= 0xff;
  ok = ok && pwrite(fd, &b, 1, (off_t)at) == 1;
  if (fd >= 0) close(fd);
  return ok ? 0 : die("cannot flip the byte (past the end?)");
}

static int flip_data(const char *path, const char *name) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = f < 0 ? -1 : H5Dopen2(f, name, H5P_DEFAULT);
  haddr_t at = d < 0 ? HADDR_UNDEF : H5Dget_offset(d);  // absolute: the userblock included
  hsize_t bytes = d < 0 ? 0 : H5Dget_storage_size(d);
  uint64_t chunk_at = 0, chunk_bytes = 0;  // chunked (a dataset's /images): its first chunk
  const hsize_t first[8] = {0};
  uint64_t base = 0;
  if (d >= 0 && at == HADDR_UNDEF && !h5_chunk_base(d, path, &base) &&
      !h5_chunk_extent(d, first, base, path, name, &chunk_at, &chunk_bytes))
    at = chunk_at, bytes = chunk_bytes;
  if (d >= 0) H5Dclose(d);
  if (f >= 0) H5Fclose(f);
  if (at == HADDR_UNDEF || bytes == 0) return die("no DATASET with data");
  return flip_byte(path, at + bytes / 2);
}

static int append_zeros(const char *path, long n) {
  FILE *f = fopen(path, "ab");
  int ok = f != NULL;
  for (long i = 0; ok && i < n; i++) ok = fputc(0, f) != EOF;
  if (f && fclose(f)) ok = 0;
  return ok ? 0 : die("cannot append");
}

// The file without its userblock, and format_version 1: what vdmc wrote before the
// record existed (HDF5 finds the superblock at byte 0 and adjusts its base address).
static int make_legacy(const char *path) {
  struct stat sb;
  FILE *f = fopen(path, "rb");
  unsigned char *all = stat(path, &sb) || !f ? NULL : malloc((size_t)sb.st_size);
  int ok = all && sb.st_size > FILE_RECORD_BYTES && fread(all, 1, (size_t)sb.st_size, f) == (size_t)sb.st_size;
  if (f) fclose(f);
  f = ok ? fopen(path, "wb") : NULL;
  ok = f && fwrite(all + FILE_RECORD_BYTES, 1, (size_t)sb.st_size - FILE_RECORD_BYTES, f) ==
                (size_t)sb.st_size - FILE_RECORD_BYTES;
  if (f && fclose(f)) ok = 0;
  free(all);
  if (!ok) return die("cannot cut the userblock off");
  hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return die("the file without its userblock does not open");
  int rc = set_attr(file, "format_version", "1");
  return H5Fclose(file) < 0 ? die("H5Fclose") : rc;
}

// Changes made through HDF5 (the field operations of the header comment).
static int tamper_fields(int argc, char **argv) {
  hid_t file = H5Fopen(argv[1], H5F_ACC_RDWR, H5P_DEFAULT);
  if (file < 0) return die("cannot open FILE read-write");
  const char *op = argv[2];
  int rc;
  if (!strcmp(op, "attr") && argc == 5) rc = set_attr(file, argv[3], argv[4]);
  else if (!strcmp(op, "row") && argc == 6) rc = set_row(file, atol(argv[3]), argv[4], argv[5]);
  else if (!strcmp(op, "config-sub") && argc == 6) rc = config_sub(file, argv[3], argv[4], !strcmp(argv[5], "fix-crc"));
  else if (!strcmp(op, "value") && argc == 7)
    rc = put_value(file, argv[3], atol(argv[4]), strtod(argv[5], NULL), !strcmp(argv[6], "fix-crc"));
  else if (!strcmp(op, "huge") && argc == 5) rc = make_huge(file, argv[3], strtoull(argv[4], NULL, 0));
  else if (!strcmp(op, "set") && argc == 6) rc = set_element(file, argv[3], strtoull(argv[4], NULL, 0), strtoll(argv[5], NULL, 0));
  else if (!strcmp(op, "drop") && argc == 4) rc = H5Ldelete(file, argv[3], H5P_DEFAULT) < 0 ? die("H5Ldelete") : 0;
  else rc = die("unknown operation or wrong argument count");
  return H5Fclose(file) < 0 ? die("H5Fclose") : rc;
}

int main(int argc, char **argv) {
  int stale = argc > 1 && !strcmp(argv[1], "--stale-record");
  argc -= stale, argv += stale;
  if (argc < 3) return die("usage: file_tamper [--stale-record] FILE OP ARGS... (see the source)");
  const char *path = argv[1], *op = argv[2];
  int sealed = file_record_start(path) == FILE_START_RECORD, rc;
  if (!strcmp(op, "flip") && argc == 4) rc = flip_byte(path, strtoull(argv[3], NULL, 0));
  else if (!strcmp(op, "flip-data") && argc == 4) rc = flip_data(path, argv[3]);
  else if (!strcmp(op, "cut") && argc == 4) rc = truncate(path, (off_t)strtoll(argv[3], NULL, 0)) ? die("truncate") : 0;
  else if (!strcmp(op, "append") && argc == 4) rc = append_zeros(path, atol(argv[3]));
  else if (!strcmp(op, "legacy") && argc == 3) return make_legacy(path);
  else if (argc >= 4) rc = tamper_fields(argc, argv);
  else rc = die("unknown operation or wrong argument count");
  if (!rc && sealed && !stale && file_record_reseal(path)) rc = die(vdmc_error_message());
  return rc;
}
