// Serial writer for vdmc dataset files: temporary name, append, commit by rename.
#define _POSIX_C_SOURCE 200809L
#include "io/dataset_write.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/status.h"
#include "io/dataset.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"

static int create_member(DatasetWriter *w, const char *dname, hid_t type, int rank, const hsize_t *dims,
                         const hsize_t *chunk, hid_t *out) {
  hid_t space = -1, dcpl = -1;
  int status = VDMC_OK;
  H5_CHECK(space = H5Screate_simple(rank, dims, NULL), "%s: %s", w->out.tmp_path, dname);
  H5_CHECK(dcpl = H5Pcreate(H5P_DATASET_CREATE), "%s: %s", w->out.tmp_path, dname);
  H5_CHECK(H5Pset_chunk(dcpl, rank, chunk), "%s: chunking %s", w->out.tmp_path, dname);
  H5_CHECK(*out = H5Dcreate2(w->file, dname, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
           "%s: cannot create %s", w->out.tmp_path, dname);
cleanup:
  h5_close_id(dcpl);
  h5_close_id(space);
  return status;
}

static int write_attributes(DatasetWriter *w, const DatasetSpec *spec) {
  int status;
  if ((status = h5_attr_write_string(w->file, VDMC_KIND_ATTR, DATASET_KIND, w->out.tmp_path)) ||
      (status = h5_attr_write_int(w->file, "format_version", DATASET_FORMAT_VERSION, w->out.tmp_path)) ||
      (status = h5_attr_write_string(w->file, "name", spec->name, w->out.tmp_path)) ||
      (status = h5_attr_write_string(w->file, "source", spec->source, w->out.tmp_path)) ||
      (status = h5_attr_write_int(w->file, "num_classes", spec->num_classes, w->out.tmp_path)))
    return status;
  return VDMC_OK;
}

int dataset_writer_create(DatasetWriter *w, const char *path, const DatasetSpec *spec) {
  memset(w, 0, sizeof *w);
  w->file = w->images = w->labels = -1;
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
  // v1.8+ object formats carry checksums on all metadata, so corrupted headers are
  // reported as such instead of being misread.
  H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST), "%s: format bounds", w->out.tmp_path);
  H5_CHECK(w->file = H5Fcreate(w->out.tmp_path, H5F_ACC_EXCL, H5P_DEFAULT, fapl), "%s: cannot create",
           w->out.tmp_path);
  hsize_t idims[4] = {spec->n, spec->h, spec->w, spec->c};
  hsize_t ichunk[4] = {dataset_chunk_examples(spec->h * spec->w * spec->c, spec->n), spec->h, spec->w, spec->c};
  hsize_t ldims[1] = {spec->n}, lchunk[1] = {spec->n < 4096 ? spec->n : 4096};
  if ((status = create_member(w, "/images", H5T_STD_U8LE, 4, idims, ichunk, &w->images)) ||
      (status = create_member(w, "/labels", H5T_STD_I32LE, 1, ldims, lchunk, &w->labels)) ||
      (status = write_attributes(w, spec)))
    goto cleanup;
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
  int status = write_rows(w, w->images, "/images", H5T_NATIVE_UINT8, 4, count, images);
  if (!status) status = write_rows(w, w->labels, "/labels", H5T_NATIVE_INT32, 1, count, labels);
  if (!status) w->written += count;
  return status;
}

int dataset_writer_commit(DatasetWriter *w) {
  int status = VDMC_OK;
  if (w->written != w->n) {
    status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %zu of %zu examples written", w->out.tmp_path, w->written, w->n);
    goto cleanup;
  }
  herr_t rc = H5Dclose(w->labels);
  w->labels = -1;
  H5_CHECK(rc, "%s: closing /labels", w->out.tmp_path);
  rc = H5Dclose(w->images);
  w->images = -1;
  H5_CHECK(rc, "%s: closing /images", w->out.tmp_path);
  rc = H5Fclose(w->file);
  w->file = -1;
  H5_CHECK(rc, "%s: closing", w->out.tmp_path);
  status = output_file_end(&w->out, VDMC_OK);
cleanup:
  if (status) dataset_writer_abort(w);
  return status;
}

void dataset_writer_abort(DatasetWriter *w) {
  h5_close_id(w->labels);
  h5_close_id(w->images);
  h5_close_id(w->file);
  w->file = w->images = w->labels = -1;
  output_file_end(&w->out, VDMC_ERR_IO);  // removes the temporary, if any
}
