// Dataset files: write/read round trip, the MPI-IO open, malformed files (each gives
// its expected error and no crash), and `prepare fashion-mnist` on Debian's files
// and on small generated idx files (bad inputs leave no output file).
#include "io_test_util.h"

#include <hdf5.h>
#include <mpi.h>
#include <zlib.h>

#include "check.h"
#include "io/dataset.h"
#include "io/file_record.h"
#include "io/h5_check.h"
#include "io/prepare.h"
#include "io/reader.h"

static char tmp[256];

static void test_round_trip(void) {
  char path[300];
  snprintf(path, sizeof path, "%s/rt.h5", tmp);
  CHECK(io_test_write_dataset(path, 37, 5, 4, 3, 7) == VDMC_OK, "write: %s", vdmc_error_message());
  CHECK(io_test_exists(path), "committed file exists");
  char tmpname[310];
  snprintf(tmpname, sizeof tmpname, "%s.tmp", path);
  CHECK(!io_test_exists(tmpname), "temporary name gone after commit");
  Dataset ds;
  CHECK(dataset_open(&ds, path, MPI_COMM_WORLD) == VDMC_OK, "open: %s", vdmc_error_message());
  CHECK(ds.n == 37 && ds.h == 5 && ds.w == 4 && ds.c == 3 && ds.num_classes == 7, "shape %zu %zu %zu %zu %d",
        ds.n, ds.h, ds.w, ds.c, ds.num_classes);
  CHECK(!strcmp(ds.name, "synthetic") && ds.format_version == DATASET_FORMAT_VERSION, "name/version");
  size_t start[3] = {2, 10, 30}, len[3] = {1, 5, 7}, ex = 5 * 4 * 3;
  uint8_t img[13 * 60];
  int32_t lab[13];
  CHECK(dataset_read_runs(&ds, start, len, 3, img, lab) == VDMC_OK, "read runs: %s", vdmc_error_message());
  size_t k = 0, bad = 0;
  for (int r = 0; r < 3; r++)
    for (size_t i = 0; i < len[r]; i++, k++) {
      bad += lab[k] != io_test_label(start[r] + i, 7);
      for (size_t p = 0; p < ex; p++) bad += img[k * ex + p] != io_test_pixel(start[r] + i, p);
    }
  CHECK(bad == 0, "runs read back what was written (%zu mismatches)", bad);
  size_t back[2] = {10, 2}, one[2] = {1, 1};
  CHECK(dataset_read_runs(&ds, back, one, 2, img, lab) == VDMC_ERR_INTERNAL, "decreasing runs rejected");
  CHECK(dataset_read_runs(&ds, NULL, NULL, 0, img, lab) == VDMC_OK, "empty read");
  size_t beyond = 36, two = 2;
  CHECK(dataset_read_runs(&ds, &beyond, &two, 1, img, lab) == VDMC_ERR_INTERNAL, "run past N rejected");
  dataset_close(&ds);

  // This program runs under MPI_Init (thread level single): the prefetching reader
  // must refuse, the synchronous one must work.
  ReaderConfig cfg = {path, MPI_COMM_WORLD, 4, 1, 0, 1};
  Reader *r = NULL;
  CHECK(reader_open(&r, &cfg, 0) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "MPI_THREAD_MULTIPLE"),
        "prefetch without MPI_THREAD_MULTIPLE: %s", vdmc_error_message());
  cfg.prefetch = 0;
  float batch[4 * 60];
  CHECK(reader_open(&r, &cfg, 0) == VDMC_OK && reader_next(r, batch, lab) == VDMC_OK, "synchronous reader: %s",
        vdmc_error_message());
  reader_close(r);

  DatasetSpec spec = {"short", "test", 10, 2, 2, 1, 3};
  DatasetWriter w;
  snprintf(path, sizeof path, "%s/short.h5", tmp);
  CHECK(dataset_writer_create(&w, path, &spec) == VDMC_OK, "create");
  uint8_t px[4 * 4] = {0};
  int32_t y[4] = {0, 1, 2, 0};
  CHECK(dataset_writer_append(&w, px, y, 4) == VDMC_OK, "append 4");
  CHECK(dataset_writer_commit(&w) == VDMC_ERR_INTERNAL, "commit with 4 of 10 fails");
  snprintf(tmpname, sizeof tmpname, "%s.tmp", path);
  CHECK(!io_test_exists(path) && !io_test_exists(tmpname), "no output after a failed commit");
}

// ---- the checksum record ------------------------------------------------------

static uint64_t le64(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

static void flip_byte(const char *path, long at) {
  FILE *f = fopen(path, "r+b");
  CHECK(f && fseek(f, at, SEEK_SET) == 0, "open %s", path);
  int c = fgetc(f);
  fseek(f, at, SEEK_SET);
  fputc(c ^ 0x20, f);
  fclose(f);
}

// The writer's record skips exactly the chunks of pixels and labels: their bytes
// total what the chunks store, the lowest range starts with example 0's pixels or
// label 0's bytes, whichever chunk HDF5 placed first (so the offsets are the file's,
// userblock included, whatever HDF5 version reported them), a pixel flipped inside a range still opens (and reads back flipped), and a
// byte of metadata outside them is refused before HDF5 sees it.
static void test_record_ranges(void) {
  enum { N = 2500, H = 5, W = 4, C = 3, EX = H * W * C };
  char path[300];
  snprintf(path, sizeof path, "%s/ranges.h5", tmp);
  CHECK(io_test_write_dataset(path, N, H, W, C, 7) == VDMC_OK, "write: %s", vdmc_error_message());
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL, "open %s", path);
  if (!f) return;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  unsigned char *b = malloc((size_t)size);
  fseek(f, 0, SEEK_SET);
  CHECK(b && fread(b, 1, (size_t)size, f) == (size_t)size, "read %s", path);
  fclose(f);
  FileRecord r;
  const char *why = file_record_decode(b, (size_t)size, &r);
  CHECK(!why && r.kind == FILE_KIND_DATASET && r.nskip >= 1 && r.length == (uint64_t)size, "record: %s",
        why ? why : "");
  size_t k = dataset_chunk_examples(EX, N), chunks = (N + k - 1) / k;
  uint64_t skipped = 0;
  for (uint32_t i = 0; !why && i < r.nskip; i++) skipped += file_record_skip(b, i).length;
  CHECK(skipped == (uint64_t)chunks * k * EX + N * 4, "skipped %llu bytes: %zu image chunks of %zu examples and "
        "one chunk of %d labels", (unsigned long long)skipped, chunks, k, N);
  FileRange first = why ? (FileRange){0, 0} : file_record_skip(b, 0);
  int pixels = first.length >= EX && first.offset + EX <= (uint64_t)size, labels = pixels;
  for (size_t p = 0; pixels && p < EX; p++) pixels = b[first.offset + p] == io_test_pixel(0, p);
  for (size_t i = 0; labels && i < 16; i++) labels = le64(b + first.offset + 4 * i, 4) == (uint64_t)io_test_label(i, 7);
  CHECK(pixels || labels, "the first skipped range (at %llu) starts with example 0's pixels or the first labels",
        (unsigned long long)first.offset);
  CHECK(le64(b + 12, 4) == r.userblock && r.userblock >= FILE_RECORD_BYTES, "userblock %u", r.userblock);
  // example 0's pixels, found in a skipped range
  long pixel7 = -1;
  for (uint32_t i = 0; !why && pixel7 < 0 && i < r.nskip; i++) {
    FileRange s = file_record_skip(b, i);
    for (uint64_t at = s.offset; pixel7 < 0 && at + EX <= s.offset + s.length; at++) {
      size_t p = 0;
      while (p < EX && b[at + p] == io_test_pixel(0, p)) p++;
      if (p == EX) pixel7 = (long)at + 7;
    }
  }
  free(b);
  CHECK(pixel7 >= 0, "example 0's pixels lie in a skipped range");
  if (pixel7 < 0) return;
  Dataset ds;
  flip_byte(path, pixel7);
  CHECK(dataset_open(&ds, path, MPI_COMM_WORLD) == VDMC_OK, "a flipped pixel opens: %s", vdmc_error_message());
  uint8_t img[EX];
  int32_t lab;
  CHECK(dataset_read_range(&ds, 0, 1, img, &lab) == VDMC_OK && img[7] == (io_test_pixel(0, 7) ^ 0x20),
        "and reads back flipped");
  dataset_close(&ds);
  flip_byte(path, (long)r.userblock + 40);  // the superblock's end-of-file address
  CHECK(dataset_open(&ds, path, MPI_COMM_WORLD) == VDMC_ERR_IO &&
            strstr(vdmc_error_message(), "is corrupt: CRC-32C of bytes") &&
            strstr(vdmc_error_message(), "skipped ranges"),
        "metadata damage refused: %s", vdmc_error_message());
}

// ---- malformed files ----------------------------------------------------------

typedef struct {
  const char *what;
  hid_t image_type;     // file type of /images
  int image_rank;       // 4 is right
  int with_labels;
  hsize_t label_n;      // entries of /labels (N = 6 is right)
  long long version;    // format_version
  const char *kind;     // vdmc_kind
  int label_value;      // written into every label (num_classes = 3)
  const char *damage;   // "truncate", "corrupt", "text" or NULL
  int fails_on_read;    // 1: open succeeds, reading fails
  const char *expect;   // substring of the error
  int vlen_utf8;        // string attributes as h5py writes them (variable-length UTF-8)
  int bare;             // no checksum record (HDF5 at byte 0): a format_version 1 file
} BadCase;

static void write_attr_str(hid_t f, const char *name, const char *v, int vlen_utf8) {
  hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR);
  H5Tset_size(t, vlen_utf8 ? H5T_VARIABLE : strlen(v) + 1);
  if (vlen_utf8) H5Tset_cset(t, H5T_CSET_UTF8);
  hid_t a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, vlen_utf8 ? (const void *)&v : v);
  H5Aclose(a), H5Sclose(s), H5Tclose(t);
}
static void write_attr_int(hid_t f, const char *name, long long v) {
  hid_t s = H5Screate(H5S_SCALAR), a = H5Acreate2(f, name, H5T_STD_I64LE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_LLONG, &v);
  H5Aclose(a), H5Sclose(s);
}

static void damage_file(const char *path, const char *how) {
  FILE *f = fopen(path, "r+b");
  if (!strcmp(how, "truncate")) {
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    CHECK(truncate(path, size / 2) == 0, "truncate");
    return;
  }
  if (!strcmp(how, "corrupt")) {  // the superblock's EOF address, behind the 512-byte record
    fseek(f, 512 + 40, SEEK_SET);
    fputc(0x5a, f);
  } else {  // "text": not HDF5 at all
    fclose(f);
    f = fopen(path, "wb");
    fputs("images,labels\n1,2\n", f);
  }
  fclose(f);
}

// The file as described, with a checksum record over all of it (none skipped: the
// reader takes any well-formed record of a dataset) unless it is bare, then damaged.
static void make_bad_file(const char *path, const BadCase *c) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST);
  if (!c->bare) H5Pset_userblock(fcpl, FILE_RECORD_BYTES);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
  hsize_t idims[4] = {6, 3, 3, 1}, ldims[1] = {c->label_n};
  hid_t s = H5Screate_simple(c->image_rank, idims, NULL);
  hid_t d = H5Dcreate2(f, "images", c->image_type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  uint8_t px[6 * 9] = {1, 2, 3};
  H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, px);
  H5Dclose(d), H5Sclose(s);
  if (c->with_labels) {
    int32_t y[16];
    for (int i = 0; i < 16; i++) y[i] = c->label_value;
    s = H5Screate_simple(1, ldims, NULL);
    d = H5Dcreate2(f, "labels", H5T_STD_I32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, y);
    H5Dclose(d), H5Sclose(s);
  }
  write_attr_str(f, "vdmc_kind", c->kind, c->vlen_utf8);
  write_attr_int(f, "format_version", c->version);
  write_attr_str(f, "name", "bad", c->vlen_utf8);
  write_attr_str(f, "source", "test", c->vlen_utf8);
  write_attr_int(f, "num_classes", 3);
  H5Fclose(f), H5Pclose(fapl), H5Pclose(fcpl);
  if (!c->bare) CHECK(file_record_seal(path, FILE_KIND_DATASET, FILE_RECORD_BYTES, NULL, 0) == VDMC_OK, "seal %s",
                      vdmc_error_message());
  if (c->damage) damage_file(path, c->damage);
}

static void test_malformed(void) {
  const hid_t U8 = H5T_STD_U8LE;
  const BadCase cases[] = {
      {"valid control", U8, 4, 1, 6, 2, "dataset", 2, NULL, 0, NULL, 0, 0},
      {"h5py-style strings", U8, 4, 1, 6, 2, "dataset", 2, NULL, 0,
       "attribute 'vdmc_kind' is a variable-length string (vdmc writes fixed-length ones)", 1, 0},
      {"wrong dtype", H5T_IEEE_F32LE, 4, 1, 6, 2, "dataset", 2, NULL, 0, "/images has the wrong dtype (expected uint8)", 0, 0},
      {"signed images", H5T_STD_I8LE, 4, 1, 6, 2, "dataset", 2, NULL, 0, "wrong dtype", 0, 0},
      {"wrong rank", U8, 3, 1, 6, 2, "dataset", 2, NULL, 0, "/images has rank 3, expected 4", 0, 0},
      {"missing labels", U8, 4, 0, 6, 2, "dataset", 2, NULL, 0, "missing /labels", 0, 0},
      {"label count", U8, 4, 1, 5, 2, "dataset", 2, NULL, 0, "/labels has 5 entries but /images has 6", 0, 0},
      {"format version", U8, 4, 1, 6, 3, "dataset", 2, NULL, 0, "format_version 3, this vdmc reads version 2", 0, 0},
      {"checkpoint kind", U8, 4, 1, 6, 2, "checkpoint", 2, NULL, 0, "is a vdmc checkpoint file, not a dataset", 0, 0},
      {"label range", U8, 4, 1, 6, 2, "dataset", 3, NULL, 1, "/labels[0] = 3, outside [0, num_classes = 3)", 0, 0},
      {"truncated", U8, 4, 1, 6, 2, "dataset", 2, "truncate", 0, "is truncated: the file has", 0, 0},
      {"corrupted bytes", U8, 4, 1, 6, 2, "dataset", 2, "corrupt", 0, "is corrupt: CRC-32C of bytes 512-", 0, 0},
      {"not hdf5", U8, 4, 1, 6, 2, "dataset", 2, "text", 0, "no checksum record at byte 0 (bad magic)", 0, 0},
      {"format_version 1 (no record)", U8, 4, 1, 6, 1, "dataset", 2, NULL, 0,
       "has no checksum record (HDF5 data at byte 0: format_version 1, or not written by vdmc) but this vdmc reads "
       "format_version 2: re-create it with `vdmc prepare`", 0, 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const BadCase *c = &cases[i];
    char path[300];
    snprintf(path, sizeof path, "%s/bad%zu.h5", tmp, i);
    make_bad_file(path, c);
    Dataset ds;
    vdmc_clear_error();
    int status = dataset_open(&ds, path, MPI_COMM_WORLD);
    if (!status) {
      uint8_t img[6 * 9];
      int32_t lab[6];
      status = dataset_read_range(&ds, 0, 6, img, lab);
      CHECK(c->fails_on_read || !c->expect, "%s: open succeeded", c->what);
      dataset_close(&ds);
    } else {
      CHECK(ds.file < 0 && ds.images < 0 && ds.labels < 0, "%s: nothing left open", c->what);
    }
    if (!c->expect) {
      CHECK(status == VDMC_OK, "%s: %s", c->what, vdmc_error_message());
      continue;
    }
    const char *msg = vdmc_error_message();
    CHECK(status == (c->bare ? VDMC_ERR_INPUT : VDMC_ERR_IO), "%s: status %d", c->what, status);
    CHECK(strstr(msg, c->expect) != NULL, "%s: message '%s' lacks '%s'", c->what, msg, c->expect);
    CHECK(strstr(msg, path) != NULL, "%s: message names the file", c->what);
  }
  CHECK(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) == 0, "no HDF5 object leaked: %zd",
        H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL));
}

// ---- prepare fashion-mnist ----------------------------------------------------

static long example_sum(const uint8_t *img, size_t bytes) {
  long s = 0;
  for (size_t i = 0; i < bytes; i++) s += img[i];
  return s;
}

static void test_fmnist_debian(void) {
  if (!io_test_exists(FMNIST_DEFAULT_SRC "/train-images-idx3-ubyte.gz")) {
    CHECK(0, "Debian package dataset-fashion-mnist is not installed (jobs/deps.sh installs it)");
    return;
  }
  char out[300], path[400];
  snprintf(out, sizeof out, "%s/fm", tmp);
  CHECK(prepare_fashion_mnist(FMNIST_DEFAULT_SRC, out, 0) == VDMC_OK, "prepare: %s", vdmc_error_message());
  Dataset tr, te;
  snprintf(path, sizeof path, "%s/fashion-mnist-train.h5", out);
  CHECK(dataset_open(&tr, path, MPI_COMM_WORLD) == VDMC_OK, "open train: %s", vdmc_error_message());
  snprintf(path, sizeof path, "%s/fashion-mnist-test.h5", out);
  CHECK(dataset_open(&te, path, MPI_COMM_WORLD) == VDMC_OK, "open test: %s", vdmc_error_message());
  CHECK(tr.n == 60000 && te.n == 10000 && tr.h == 28 && tr.w == 28 && tr.c == 1 && tr.num_classes == 10,
        "fmnist shapes %zu %zu", tr.n, te.n);
  // Reference values read independently with Python's gzip + numpy from the .gz files.
  uint8_t img[5 * 784];
  int32_t lab[5];
  CHECK(dataset_read_range(&tr, 0, 5, img, lab) == VDMC_OK, "read train");
  CHECK(lab[0] == 9 && lab[1] == 0 && lab[2] == 0 && lab[3] == 3 && lab[4] == 0, "train labels 9 0 0 3 0");
  CHECK(img[14 * 28 + 14] == 217 && img[10 * 28 + 20] == 210 && example_sum(img, 784) == 76247, "train[0] pixels");
  CHECK(dataset_read_range(&tr, 123, 1, img, lab) == VDMC_OK && lab[0] == 2 && example_sum(img, 784) == 42314,
        "train[123]");
  CHECK(dataset_read_range(&tr, 59999, 1, img, lab) == VDMC_OK && lab[0] == 5 && example_sum(img, 784) == 16684,
        "train[59999]");
  CHECK(dataset_read_range(&te, 0, 5, img, lab) == VDMC_OK, "read test");
  CHECK(lab[0] == 9 && lab[1] == 2 && lab[2] == 1 && lab[3] == 1 && lab[4] == 6, "test labels 9 2 1 1 6");
  CHECK(img[14 * 28 + 14] == 110 && example_sum(img, 784) == 33456, "test[0] pixels");
  dataset_close(&tr);
  dataset_close(&te);

  snprintf(out, sizeof out, "%s/fm32", tmp);
  CHECK(prepare_fashion_mnist(FMNIST_DEFAULT_SRC, out, 1) == VDMC_OK, "prepare --pad32: %s", vdmc_error_message());
  snprintf(path, sizeof path, "%s/fashion-mnist-test.h5", out);
  CHECK(dataset_open(&te, path, MPI_COMM_WORLD) == VDMC_OK && te.h == 32 && te.w == 32, "open padded");
  CHECK(dataset_read_range(&te, 0, 1, img, lab) == VDMC_OK, "read padded");
  long border = 0;
  for (int i = 0; i < 32; i++) border += img[i] + img[31 * 32 + i] + img[i * 32] + img[i * 32 + 31];
  CHECK(img[16 * 32 + 16] == 110 && example_sum(img, 1024) == 33456 && border == 0, "padded test[0]");
  dataset_close(&te);
}

// A small idx file: magic for `ndims` dims, sizes dims[], then `bytes` of data
// (pattern i*3), gzip-compressed; `cut` > 0 drops that many trailing data bytes.
static void write_idx(const char *path, uint32_t magic, int ndims, const uint32_t *dims, size_t bytes, size_t cut,
                      uint8_t label_max) {
  gzFile f = gzopen(path, "wb");
  uint8_t head[16];
  for (int k = 0; k <= ndims; k++) {
    uint32_t v = k ? dims[k - 1] : magic;
    head[4 * k] = v >> 24, head[4 * k + 1] = v >> 16, head[4 * k + 2] = v >> 8, head[4 * k + 3] = v;
  }
  gzwrite(f, head, 4 * (unsigned)(ndims + 1));
  for (size_t i = 0; i + cut < bytes; i++) {
    uint8_t b = label_max ? (uint8_t)(label_max - i % (label_max + 1u)) : (uint8_t)(i * 3);
    gzwrite(f, &b, 1);
  }
  gzclose(f);
}

typedef struct {
  const char *what;
  uint32_t image_magic;
  uint32_t n_images, n_labels, side;
  size_t cut;
  uint8_t label_max;
  const char *expect;  // NULL: conversion succeeds
} IdxCase;

static void test_fmnist_bad_inputs(void) {
  const IdxCase cases[] = {
      {"valid small", 0x803, 5, 5, 28, 0, 9, NULL},
      {"wrong magic", 0x801, 5, 5, 28, 0, 9, "bad idx magic"},
      {"truncated images", 0x803, 5, 5, 28, 100, 9, "truncated"},
      {"count mismatch", 0x803, 5, 4, 28, 0, 9, "5 images but"},
      {"label out of range", 0x803, 5, 5, 28, 0, 12, "is not in 0..9"},
      {"wrong size", 0x803, 5, 5, 27, 0, 9, "images are 27x27"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const IdxCase *c = &cases[i];
    char src[300], out[300], p[400];
    snprintf(src, sizeof src, "%s/idx%zu", tmp, i);
    snprintf(out, sizeof out, "%s/out%zu", tmp, i);
    CHECK(mkdir(src, 0777) == 0, "mkdir");
    for (int s = 0; s < 2; s++) {
      const char *prefix = s ? "t10k" : "train";
      uint32_t idims[3] = {c->n_images, c->side, c->side}, ldims[1] = {c->n_labels};
      snprintf(p, sizeof p, "%s/%s-images-idx3-ubyte.gz", src, prefix);
      write_idx(p, c->image_magic, 3, idims, (size_t)c->n_images * c->side * c->side, c->cut, 0);
      snprintf(p, sizeof p, "%s/%s-labels-idx1-ubyte.gz", src, prefix);
      write_idx(p, 0x801, 1, ldims, c->n_labels, 0, c->label_max);
    }
    vdmc_clear_error();
    int status = prepare_fashion_mnist(src, out, 0);
    snprintf(p, sizeof p, "%s/fashion-mnist-train.h5", out);
    if (!c->expect) {
      CHECK(status == VDMC_OK && io_test_exists(p), "%s: %s", c->what, vdmc_error_message());
      continue;
    }
    CHECK(status != VDMC_OK, "%s: must fail", c->what);
    CHECK(strstr(vdmc_error_message(), c->expect) && strstr(vdmc_error_message(), src), "%s: message '%s'",
          c->what, vdmc_error_message());
    CHECK(!io_test_exists(p), "%s: no output file", c->what);
    snprintf(p, sizeof p, "%s/fashion-mnist-train.h5.tmp", out);
    CHECK(!io_test_exists(p), "%s: no temporary file", c->what);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  h5_quiet();
  if (io_test_tmpdir(tmp, sizeof tmp, "dataset")) {
    fprintf(stderr, "cannot make a temporary directory\n");
    return 1;
  }
  test_round_trip();
  test_record_ranges();
  test_malformed();
  test_fmnist_debian();
  test_fmnist_bad_inputs();
  io_test_rmdir(tmp);
  int rc = check_finish("dataset");
  MPI_Finalize();
  return rc;
}
