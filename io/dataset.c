// Opening, validating and reading vdmc dataset files (format in dataset.h).
#include "io/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/input_file.h"
#include "core/status.h"
#include "io/file_record.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "io/h5_storage.h"
#include "mpi/agree.h"

#define REMAKE_HINT_TEXT "re-create it with `vdmc prepare` (docs/data.md)"
static const char *REMAKE_HINT = REMAKE_HINT_TEXT;

size_t dataset_chunk_examples(size_t example_bytes, size_t n) {
  size_t k = example_bytes ? (64u << 10) / example_bytes : 1;
  if (k < 1) k = 1;
  if (k > n) k = n;
  return k ? k : 1;
}

// Checks that dataset `dset` (named `dname` in errors) holds integers of `size` bytes
// with signedness `sign` and rank `rank`; fills dims[rank].
static int check_layout(hid_t dset, const char *path, const char *dname, size_t size, H5T_sign_t sign,
                        int rank, hsize_t *dims) {
  hid_t type = -1, space = -1;
  int status = VDMC_OK;
  const char *want = sign == H5T_SGN_NONE ? "uint" : "int";
  H5_CHECK(type = H5Dget_type(dset), "%s: %s", path, dname);
  if (H5Tget_class(type) != H5T_INTEGER || H5Tget_size(type) != size || H5Tget_sign(type) != sign) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s has the wrong dtype (expected %s%zu); %s", path, dname, want,
                       8 * size, REMAKE_HINT);
    goto cleanup;
  }
  H5_CHECK(space = H5Dget_space(dset), "%s: %s", path, dname);
  int got = H5Sget_simple_extent_ndims(space);
  if (got != rank) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s has rank %d, expected %d; %s", path, dname, got, rank,
                       REMAKE_HINT);
    goto cleanup;
  }
  H5_CHECK(H5Sget_simple_extent_dims(space, dims, NULL), "%s: %s", path, dname);
cleanup:
  h5_close_id(space);
  h5_close_id(type);
  return status;
}

static int open_member(Dataset *ds, const char *dname, hid_t dapl, hid_t *out) {
  int status = VDMC_OK;
  htri_t exists;
  H5_CHECK(exists = H5Lexists(ds->file, dname, H5P_DEFAULT), "%s: cannot look up %s", ds->path, dname);
  if (!exists) return vdmc_fail(VDMC_ERR_IO, "%s: missing %s; %s", ds->path, dname, REMAKE_HINT);
  H5_CHECK(*out = H5Dopen2(ds->file, dname, dapl), "%s: cannot open %s", ds->path, dname);
cleanup:
  return status;
}

static int read_attributes(Dataset *ds) {
  char kind[64];
  long long version, classes;
  int status = h5_attr_read_fixed_string(ds->file, VDMC_KIND_ATTR, kind, sizeof kind, ds->path,
                                   "not a vdmc dataset; make one with `vdmc prepare`");
  if (status) return status;
  if (strcmp(kind, DATASET_KIND))
    return vdmc_fail(VDMC_ERR_IO, "%s: is a vdmc %s file, not a dataset", ds->path, kind);
  if ((status = h5_attr_read_int(ds->file, "format_version", &version, ds->path, REMAKE_HINT))) return status;
  if (version != DATASET_FORMAT_VERSION)
    return vdmc_fail(VDMC_ERR_IO,
                     "%s: dataset format_version %lld, this vdmc reads version %d; re-create it with "
                     "`vdmc prepare` of this vdmc version",
                     ds->path, version, DATASET_FORMAT_VERSION);
  ds->format_version = (int)version;
  if ((status = h5_attr_read_fixed_string(ds->file, "name", ds->name, sizeof ds->name, ds->path, REMAKE_HINT)) ||
      (status = h5_attr_read_fixed_string(ds->file, "source", ds->source, sizeof ds->source, ds->path, REMAKE_HINT)) ||
      (status = h5_attr_read_int(ds->file, "num_classes", &classes, ds->path, REMAKE_HINT)))
    return status;
  if (classes < 1 || classes > DATASET_MAX_CLASSES)
    return vdmc_fail(VDMC_ERR_IO, "%s: num_classes = %lld, expected 1..%d", ds->path, classes, DATASET_MAX_CLASSES);
  ds->num_classes = (int)classes;
  return VDMC_OK;
}

static int validate_shapes(Dataset *ds) {
  hsize_t idims[4], ldims[1];
  int status = check_layout(ds->images, ds->path, "/images", 1, H5T_SGN_NONE, 4, idims);
  if (status) return status;
  if (idims[0] < 1 || idims[1] < 1 || idims[2] < 1 || idims[3] < 1 || idims[3] > 4)
    return vdmc_fail(VDMC_ERR_IO, "%s: /images has shape [%llu,%llu,%llu,%llu], expected [N>0,H>0,W>0,C in 1..4]",
                     ds->path, (unsigned long long)idims[0], (unsigned long long)idims[1],
                     (unsigned long long)idims[2], (unsigned long long)idims[3]);
  if ((status = check_layout(ds->labels, ds->path, "/labels", 4, H5T_SGN_2, 1, ldims))) return status;
  if (ldims[0] != idims[0])
    return vdmc_fail(VDMC_ERR_IO, "%s: /labels has %llu entries but /images has %llu examples", ds->path,
                     (unsigned long long)ldims[0], (unsigned long long)idims[0]);
  if ((status = h5_check_storage(ds->images, ds->path, "/images")) ||
      (status = h5_check_storage(ds->labels, ds->path, "/labels")))
    return status;
  ds->n = idims[0];
  ds->h = idims[1];
  ds->w = idims[2];
  ds->c = idims[3];
  return VDMC_OK;
}

// Every label in [0, num_classes), checked at open so a bad label is reported at
// start, not hours into a run: 4 bytes per example (1/784 of the pixels of even
// Fashion-MNIST), read in blocks. Above DATASET_LABEL_CHECK_MAX examples the open
// would cost too much on every rank; dataset_read_runs still checks what it reads.
static int validate_labels(Dataset *ds) {
  if (ds->n > DATASET_LABEL_CHECK_MAX) return VDMC_OK;
  enum { BLOCK = 65536 };
  int32_t *labels = malloc(BLOCK * sizeof *labels);
  if (!labels) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory checking /labels", ds->path);
  int status = VDMC_OK;
  for (size_t i = 0; !status && i < ds->n; i += BLOCK) {
    size_t k = ds->n - i < BLOCK ? ds->n - i : BLOCK;
    status = dataset_read_range(ds, i, k, NULL, labels);  // names the first bad index
  }
  free(labels);
  return status;
}

int dataset_open(Dataset *ds, const char *path, MPI_Comm comm) {
  memset(ds, 0, sizeof *ds);
  ds->file = ds->images = ds->labels = -1;
  snprintf(ds->path, sizeof ds->path, "%s", path);
  h5_quiet();
  hid_t fapl = -1, dapl = -1;
  int rank = 0, status = input_file_check(path, "dataset");
  // The checksum record of the metadata before HDF5 parses a byte of it
  // (io/file_record.h): rank 0 reads it once, every rank opens what it verified.
  if (comm != MPI_COMM_NULL) MPI_TRY(MPI_Comm_rank(comm, &rank));
  if (!status && rank == 0)
    status = file_record_verify(path, FILE_KIND_DATASET, "this vdmc reads format_version 2: " REMAKE_HINT_TEXT);
  if (comm != MPI_COMM_NULL) status = mpi_agree(comm, status);
  if (status) return status;
  H5_CHECK(fapl = H5Pcreate(H5P_FILE_ACCESS), "%s: file access list", path);
  if (comm != MPI_COMM_NULL)
    H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "%s: MPI-IO driver", path);
  // Dataset files are immutable once renamed into place (prepare writes a temporary
  // name), so read-only opens need no lock; parallel file systems without flock
  // fail the lock otherwise. HDF5_USE_FILE_LOCKING in the environment still wins.
  H5_CHECK(H5Pset_file_locking(fapl, 0, 1), "%s: file locking", path);
  H5_CHECK(ds->file = H5Fopen(path, H5F_ACC_RDONLY, fapl), "%s: cannot open as HDF5", path);
  if ((status = read_attributes(ds))) goto cleanup;
  // No chunk cache: a random example order touches each chunk once per epoch, so
  // caching whole chunks would read up to chunk_examples times the needed bytes.
  H5_CHECK(dapl = H5Pcreate(H5P_DATASET_ACCESS), "%s: dataset access list", path);
  H5_CHECK(H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT), "%s: chunk cache", path);
  if ((status = open_member(ds, "/images", dapl, &ds->images)) ||
      (status = open_member(ds, "/labels", dapl, &ds->labels)) || (status = validate_shapes(ds)) ||
      (status = validate_labels(ds)))
    goto cleanup;
cleanup:
  h5_close_id(dapl);
  h5_close_id(fapl);
  if (status) dataset_close(ds);
  return status;
}

// Reads the runs from `dset` (rank 1 + item_rank, trailing dims item_dims) into buf
// as consecutive items of memory type `mem` (item_bytes each), one H5Dread per run.
// One read of the union of all runs (H5S_SELECT_OR) would be a single call, but
// HDF5 1.10 maps an irregular selection onto every chunk in its bounding box: on a
// 2048-example file it cost 1.7 ms per run against 15 us for a separate read
// (profiling/bench_reader.c, docs/data.md).
static int read_selection(Dataset *ds, hid_t dset, const char *dname, hid_t mem, int item_rank,
                          const hsize_t *item_dims, size_t item_bytes, const size_t *start, const size_t *len,
                          size_t nruns, void *buf) {
  hid_t fspace = -1, mspace = -1;
  int status = VDMC_OK;
  hsize_t off[4] = {0, 0, 0, 0}, cnt[4];
  for (int d = 0; d < item_rank; d++) cnt[1 + d] = item_dims[d];
  H5_CHECK(fspace = H5Dget_space(dset), "%s: %s", ds->path, dname);
  char *dst = buf;
  for (size_t r = 0; r < nruns; r++) {
    off[0] = start[r];
    cnt[0] = len[r];
    H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL), "%s: selecting examples %zu..%zu of %s",
             ds->path, start[r], start[r] + len[r] - 1, dname);
    H5_CHECK(mspace = H5Screate_simple(1 + item_rank, cnt, NULL), "%s: %s", ds->path, dname);
    H5_CHECK(H5Dread(dset, mem, mspace, fspace, H5P_DEFAULT, dst), "%s: cannot read examples %zu..%zu of %s",
             ds->path, start[r], start[r] + len[r] - 1, dname);
    H5Sclose(mspace);
    mspace = -1;
    dst += len[r] * item_bytes;
  }
cleanup:
  h5_close_id(mspace);
  h5_close_id(fspace);
  return status;
}

int dataset_read_runs(Dataset *ds, const size_t *start, const size_t *len, size_t nruns,
                      uint8_t *images, int32_t *labels) {
  size_t total = 0, next = 0;
  for (size_t r = 0; r < nruns; r++) {
    if (len[r] == 0 || start[r] < next || start[r] + len[r] > ds->n)
      return vdmc_fail(VDMC_ERR_INTERNAL, "%s: run %zu [%zu, +%zu) is empty, overlapping or beyond N=%zu",
                       ds->path, r, start[r], len[r], ds->n);
    next = start[r] + len[r];
    total += len[r];
  }
  if (total == 0) return VDMC_OK;
  const hsize_t item_dims[3] = {ds->h, ds->w, ds->c};
  int status = VDMC_OK;
  if (images)
    status = read_selection(ds, ds->images, "/images", H5T_NATIVE_UINT8, 3, item_dims, ds->h * ds->w * ds->c,
                            start, len, nruns, images);
  if (!status && labels)
    status = read_selection(ds, ds->labels, "/labels", H5T_NATIVE_INT32, 0, NULL, sizeof *labels, start, len,
                            nruns, labels);
  if (status || !labels) return status;
  size_t k = 0;
  for (size_t r = 0; r < nruns; r++)
    for (size_t i = 0; i < len[r]; i++, k++)
      if (labels[k] < 0 || labels[k] >= ds->num_classes)
        return vdmc_fail(VDMC_ERR_IO, "%s: /labels[%zu] = %d, outside [0, num_classes = %d)", ds->path,
                         start[r] + i, labels[k], ds->num_classes);
  return VDMC_OK;
}

int dataset_read_range(Dataset *ds, size_t first, size_t count, uint8_t *images, int32_t *labels) {
  return count ? dataset_read_runs(ds, &first, &count, 1, images, labels) : VDMC_OK;
}

void dataset_close(Dataset *ds) {
  h5_close_id(ds->labels);
  h5_close_id(ds->images);
  h5_close_id(ds->file);
  ds->file = ds->images = ds->labels = -1;
}
