// Serial writer for vdmc dataset files: temporary name, append, seal the checksum
// record, commit by rename.
#define _POSIX_C_SOURCE 200809L
#include "io/dataset_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "io/dataset.h"
#include "io/file_record.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "io/h5_storage.h"

// Examples per chunk of /labels.
static size_t label_chunk(size_t n) {
  return n < 4096 ? n : 4096;
}

static size_t chunks(size_t n, size_t per_chunk) {
  return (n + per_chunk - 1) / per_chunk;
}

// The userblock for the checksum record: room for every chunk as its own skipped
// range (they merge into far fewer when adjacent), up to the largest record a reader
// takes; dataset_seal_record says so if the merged ranges still do not fit.
static uint32_t record_bytes(const DatasetSpec *spec) {
  uint64_t n = chunks(spec->n, dataset_chunk_examples(spec->h * spec->w * spec->c, spec->n)) +
               chunks(spec->n, label_chunk(spec->n));
  uint32_t u = file_record_bytes(n);
  return u ? u : FILE_RECORD_MAX_BYTES;
}

static int create_member(hid_t file, const char *path, const char *dname, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *chunk, hid_t *out) {
  hid_t space = -1, dcpl = -1;
  int status = VDMC_OK;
  H5_CHECK(space = H5Screate_simple(rank, dims, NULL), "%s: %s", path, dname);
  H5_CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: %s", path, dname);
  H5_CHECK(H5Pset_chunk(dcpl, rank, chunk), "%s: chunking %s", path, dname);
  H5_CHECK(*out = H5Dcreate2(file, dname, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT), "%s: cannot create %s", path,
           dname);
cleanup:
  h5_close_id(dcpl);
  h5_close_id(space);
  return status;
}

static int write_attributes(hid_t file, const char *path, const DatasetSpec *spec) {
  int status;
  if ((status = h5_attr_write_string(file, VDMC_KIND_ATTR, DATASET_KIND, path)) ||
      (status = h5_attr_write_int(file, "format_version", DATASET_FORMAT_VERSION, path)) ||
      (status = h5_attr_write_string(file, "name", spec->name, path)) ||
      (status = h5_attr_write_string(file, "source", spec->source, path)) ||
      (status = h5_attr_write_int(file, "num_classes", spec->num_classes, path)))
    return status;
  return VDMC_OK;
}

int dataset_file_create(const char *path, const DatasetSpec *spec, hid_t fapl, DatasetFile *f) {
  f->file = f->images = f->labels = -1;
  f->userblock = record_bytes(spec);
  hid_t fcpl = -1;
  int status = VDMC_OK;
  H5_CHECK(fcpl = H5Pcreate(H5P_FILE_CREATE), "%s: file creation list", path);
  H5_CHECK(H5Pset_userblock(fcpl, f->userblock), "%s: userblock", path);
  // v1.8+ object formats carry checksums on all metadata, so corrupted headers are
  // reported as such instead of being misread.
  H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "%s: format bounds", path);
  H5_CHECK(f->file = H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl), "%s: cannot create", path);
  hsize_t idims[4] = {spec->n, spec->h, spec->w, spec->c};
  hsize_t ichunk[4] = {dataset_chunk_examples(spec->h * spec->w * spec->c, spec->n), spec->h, spec->w, spec->c};
  hsize_t ldims[1] = {spec->n}, lchunk[1] = {label_chunk(spec->n)};
  if ((status = create_member(f->file, path, "/images", H5T_STD_U8LE, 4, idims, ichunk, &f->images)) ||
      (status = create_member(f->file, path, "/labels", H5T_STD_I32LE, 1, ldims, lchunk, &f->labels)))
    goto cleanup;
  status = write_attributes(f->file, path, spec);
cleanup:
  h5_close_id(fcpl);
  if (status) dataset_file_close(f);
  return status;
}

void dataset_file_close(DatasetFile *f) {
  h5_close_id(f->labels);
  h5_close_id(f->images);
  h5_close_id(f->file);
  f->file = f->images = f->labels = -1;
}

int dataset_writer_create(DatasetWriter *w, const char *path, const DatasetSpec *spec) {
  memset(w, 0, sizeof *w);
  w->f.file = w->f.images = w->f.labels = -1;
  w->n = spec->n;
  w->h = spec->h;
  w->w = spec->w;
  w->c = spec->c;
  w->num_classes = spec->num_classes;
  if (!spec->n || !spec->h || !spec->w || !spec->c || spec->num_classes < 1)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: empty dataset (N=%zu, %zux%zux%zu, %d classes)", path, spec->n,
                     spec->h, spec->w, spec->c, spec->num_classes);
  int status = output_file_begin(&w->out, path);
  if (status) return status;
  h5_quiet();
  hid_t fapl = -1;
  H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: file access list", w->out.tmp_path);
  status = dataset_file_create(w->out.tmp_path, spec, fapl, &w->f);
cleanup:
  h5_close_id(fapl);
  if (status) dataset_writer_abort(w);
  return status;
}

static int write_rows(DatasetWriter *w, hid_t dset, const char *dname, hid_t mem, int rank, size_t count,
                      const void *buf) {
  hid_t fspace = -1, mspace = -1;
  int status = VDMC_OK;
  hsize_t off[4] = {w->written, 0, 0, 0}, cnt[4] = {count, w->h, w->w, w->c};
  H5_CHECK(fspace = H5Dget_space(dset), "%s: %s", w->out.tmp_path, dname);
  H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: %s", w->out.tmp_path, dname);
  H5_CHECK(mspace = H5Screate_simple(rank, cnt, NULL), "%s: %s", w->out.tmp_path, dname);
  H5_CHECK(H5Dwrite(dset, mem, mspace, fspace, H5P_DEFAULT, buf), "%s: cannot write %s", w->out.tmp_path, dname);
cleanup:
  h5_close_id(mspace);
  h5_close_id(fspace);
  return status;
}

int dataset_writer_append(DatasetWriter *w, const uint8_t *images, const int32_t *labels, size_t count) {
  if (count > w->n - w->written)
    return vdmc_fail(VDMC_ERR_INTERNAL, "%s: appending %zu examples after %zu of %zu", w->out.tmp_path, count,
                     w->written, w->n);
  for (size_t i = 0; i < count; i++)
    if (labels[i] < 0 || labels[i] >= w->num_classes)
      return vdmc_fail(VDMC_ERR_INTERNAL, "%s: label %d of example %zu outside [0, %d)", w->out.tmp_path,
                       labels[i], w->written + i, w->num_classes);
  if (!count) return VDMC_OK;
  int status = write_rows(w, w->f.images, "/images", H5T_NATIVE_UINT8, 4, count, images);
  if (!status) status = write_rows(w, w->f.labels, "/labels", H5T_NATIVE_INT32, 1, count, labels);
  if (!status) w->written += count;
  return status;
}

// Appends to skip[*n] the file ranges of the chunks of `dname` in `file` (rows along
// the first dimension, `per_chunk` to a chunk): where HDF5 put the pixels and labels,
// which the checksum record skips.
static int chunk_ranges(hid_t file, const char *path, const char *dname, FileRange **skip,
                        size_t *n, size_t *cap) {
  hid_t dset = -1, space = -1, dcpl = -1;
  int status = VDMC_OK;
  hsize_t dims[4], chunk[4];
  H5_CHECK(dset = H5Dopen2(file, dname, H5P_DEFAULT), "%s: %s", path, dname);
  H5_CHECK(space = H5Dget_space(dset), "%s: %s", path, dname);
  H5_CHECK(dcpl = H5Dget_create_plist(dset), "%s: %s", path, dname);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 1 || rank > 4 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
      H5Pget_chunk(dcpl, rank, chunk) != rank || chunk[0] == 0) {
    status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %s is not chunked along its rows", path, dname);
    goto cleanup;
  }
  uint64_t base = 0;
  if ((status = h5_chunk_base(dset, path, &base))) goto cleanup;
  size_t count = (dims[0] + chunk[0] - 1) / chunk[0];
  if (*n + count > *cap) {
    FileRange *grown = realloc(*skip, (*n + count) * sizeof *grown);
    if (!grown) {
      status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for %zu chunk ranges", path, *n + count);
      goto cleanup;
    }
    *skip = grown;
    *cap = *n + count;
  }
  for (size_t i = 0; i < count; i++) {
    hsize_t coord[4] = {i * chunk[0], 0, 0, 0};
    FileRange *r = &(*skip)[*n];
    if ((status = h5_chunk_extent(dset, coord, base, path, dname, &r->offset, &r->length))) goto cleanup;
    ++*n;
  }
cleanup:
  h5_close_id(dcpl);
  h5_close_id(space);
  h5_close_id(dset);
  return status;
}

static int by_offset(const void *a, const void *b) {
  const FileRange *x = a, *y = b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

// Sorts skip[0, *n) and merges adjacent ranges in place.
static int merge_ranges(const char *path, FileRange *skip, size_t *n) {
  qsort(skip, *n, sizeof *skip, by_offset);
  size_t m = 0;
  for (size_t i = 0; i < *n; i++) {
    if (m && skip[i].offset < skip[m - 1].offset + skip[m - 1].length)
      return vdmc_fail(VDMC_ERR_INTERNAL, "%s: HDF5 reports overlapping chunks", path);
    if (m && skip[i].offset == skip[m - 1].offset + skip[m - 1].length) skip[m - 1].length += skip[i].length;
    else skip[m++] = skip[i];
  }
  *n = m;
  return VDMC_OK;
}

int dataset_file_seal(const char *path, uint32_t userblock) {
  hid_t file = -1;
  FileRange *skip = NULL;
  size_t n = 0, cap = 0;
  int status = VDMC_OK;
  H5_CHECK(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), "%s: reopening to seal it", path);
  if ((status = chunk_ranges(file, path, "/images", &skip, &n, &cap)) ||
      (status = chunk_ranges(file, path, "/labels", &skip, &n, &cap)) ||
      (status = merge_ranges(path, skip, &n)))
    goto cleanup;
  herr_t rc = H5Fclose(file);
  file = -1;
  H5_CHECK(rc, "%s: closing", path);
  if (n > UINT32_MAX || file_record_bytes(n) == 0 || file_record_bytes(n) > userblock) {
    status = vdmc_fail(VDMC_ERR_INPUT, "%s: its %zu ranges of pixels and labels do not fit the %u-byte checksum "
                       "record (too many examples for one file: split it)", path, n, userblock);
    goto cleanup;
  }
  status = file_record_seal(path, FILE_KIND_DATASET, userblock, skip, (uint32_t)n);
cleanup:
  h5_close_id(file);
  free(skip);
  return status;
}

int dataset_writer_commit(DatasetWriter *w) {
  int status = VDMC_OK;
  if (w->written != w->n) {
    status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %zu of %zu examples written", w->out.tmp_path, w->written, w->n);
    goto cleanup;
  }
  herr_t rc = H5Dclose(w->f.labels);
  w->f.labels = -1;
  H5_CHECK(rc, "%s: closing /labels", w->out.tmp_path);
  rc = H5Dclose(w->f.images);
  w->f.images = -1;
  H5_CHECK(rc, "%s: closing /images", w->out.tmp_path);
  rc = H5Fclose(w->f.file);
  w->f.file = -1;
  H5_CHECK(rc, "%s: closing", w->out.tmp_path);
  if ((status = dataset_file_seal(w->out.tmp_path, w->f.userblock))) goto cleanup;
  status = output_file_end(&w->out, VDMC_OK);
cleanup:
  if (status) dataset_writer_abort(w);
  return status;
}

void dataset_writer_abort(DatasetWriter *w) {
  dataset_file_close(&w->f);
  output_file_end(&w->out, VDMC_ERR_IO);  // removes the temporary, if any
}
