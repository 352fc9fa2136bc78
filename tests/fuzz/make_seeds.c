// fuzz_make_seeds OUT: writes the binary seeds of tests/fuzz/corpus/ into OUT/<target>/,
// each made by the writer whose output the target's parser reads: vdmc's checkpoint,
// dataset and PNG writers, libjpeg, libzip with .npy headers as NumPy writes them,
// and zlib. Tiny on purpose: mutations of a small valid file reach the parsers'
// deeper checks quickly. Run once after a format change; the output is committed.
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>  // before jpeglib.h

#include <jpeglib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "core/status.h"
#include "io/checkpoint.h"
#include "io/dataset.h"
#include "io/dataset_write.h"
#include "io/file_record.h"
#include "io/png_write.h"
#include "io/tb_events.h"
#include "mpi/comm.h"
#include "seed_model.h"

static char out_dir[1024];

// OUT/target/name, creating OUT/target.
static const char *seed_path(const char *target, const char *name) {
  static char path[2048];
  snprintf(path, sizeof path, "%s/%s", out_dir, target);
  mkdir(path, 0755);
  snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
  return path;
}

static uint8_t pattern(size_t i) { return (uint8_t)(i * 37u + (i >> 3)); }

// A checkpoint of the seed model saved as `vdmc train` saves one, moved out of its run.
static int write_checkpoint(void) {
  SeedModel m;
  CheckpointState st;
  char run[] = "/tmp/vdmc-fuzz-seed-XXXXXX", file[1200];
  int status = seed_model_init(&m);
  if (status) return status;
  if (!mkdtemp(run)) return vdmc_fail(VDMC_ERR_IO, "mkdtemp failed");
  seed_model_state(&m, &st);
  st.step = 3;
  st.images_seen = 24;
  st.seed = 7;
  st.config_text = "model:\n  arch: unet\n";
  status = checkpoint_save(run, &st, 1, MPI_COMM_SELF);
  snprintf(file, sizeof file, "%s/checkpoints/step-00000003.h5", run);
  if (!status && link(file, seed_path("checkpoint_describe", "tiny.h5")))
    status = vdmc_fail(VDMC_ERR_IO, "cannot link %s", file);
  if (!status && link(file, seed_path("checkpoint_raw", "tiny.h5")))
    status = vdmc_fail(VDMC_ERR_IO, "cannot link %s", file);
  if (!status && rename(file, seed_path("checkpoint_load", "tiny.h5")))
    status = vdmc_fail(VDMC_ERR_IO, "cannot move %s", file);
  snprintf(file, sizeof file, "%s/checkpoints/latest", run);
  unlink(file);
  snprintf(file, sizeof file, "%s/checkpoints", run);
  rmdir(file);
  rmdir(run);
  seed_model_free(&m);
  return status;
}

static int write_dataset(const char *name, size_t n, size_t h, size_t w, size_t c, int classes) {
  DatasetSpec spec = {"fuzz-seed", "tests/fuzz/make_seeds.c", n, h, w, c, classes};
  uint8_t images[64];
  int32_t labels[4];
  for (size_t i = 0; i < n * h * w * c; i++) images[i] = pattern(i);
  for (size_t i = 0; i < n; i++) labels[i] = (int32_t)(i % (size_t)classes);
  DatasetWriter wr;
  int status = dataset_writer_create(&wr, seed_path("dataset", name), &spec);
  if (!status) status = dataset_writer_append(&wr, images, labels, n);
  if (!status) status = dataset_writer_commit(&wr);
  if (status) dataset_writer_abort(&wr);
  return status;
}

// A dataset as another tool (h5py) writes one: HDF5's earliest format, whose object
// headers carry no checksums (vdmc's writer uses the 1.8 format, where a mutated
// header fails its checksum before vdmc sees it), variable-length UTF-8 strings (which
// the reader refuses before reading them) and contiguous arrays; behind a 512-byte userblock with a checksum record of the whole
// file, the one a reader needs (the dataset target rewrites it for each mutation).
static herr_t write_vlen_attr(hid_t file, const char *name, const char *value) {
  hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  hid_t attr = H5Acreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, &value);
  H5Aclose(attr);
  H5Sclose(space);
  H5Tclose(type);
  return rc;
}

static herr_t write_array(hid_t file, const char *name, hid_t type, int rank, const hsize_t *dims, const void *data) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dset = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = dset < 0 ? -1 : H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(dset);
  H5Sclose(space);
  return rc;
}

static int write_foreign_dataset(const char *name) {
  const hsize_t image_dims[4] = {2, 3, 3, 1}, label_dims[1] = {2};
  uint8_t images[18];
  const int32_t labels[2] = {1, 0};
  const long long version = DATASET_FORMAT_VERSION, classes = 2;
  for (size_t i = 0; i < sizeof images; i++) images[i] = pattern(i);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_userblock(fcpl, FILE_RECORD_BYTES);
  hid_t file = H5Fcreate(seed_path("dataset", name), H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  hid_t scalar = H5Screate(H5S_SCALAR);
  int ok = file >= 0 && write_vlen_attr(file, "vdmc_kind", DATASET_KIND) >= 0 &&
           write_vlen_attr(file, "name", "h5py-like") >= 0 && write_vlen_attr(file, "source", "make_seeds.c") >= 0;
  const char *int_attrs[2] = {"format_version", "num_classes"};
  const long long *int_values[2] = {&version, &classes};
  for (int i = 0; ok && i < 2; i++) {
    hid_t attr = H5Acreate2(file, int_attrs[i], H5T_STD_I64LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    ok = attr >= 0 && H5Awrite(attr, H5T_NATIVE_LLONG, int_values[i]) >= 0;
    H5Aclose(attr);
  }
  ok = ok && write_array(file, "images", H5T_NATIVE_UINT8, 4, image_dims, images) >= 0 &&
       write_array(file, "labels", H5T_NATIVE_INT32, 1, label_dims, labels) >= 0;
  H5Sclose(scalar);
  if (file >= 0) H5Fclose(file);
  if (!ok) return vdmc_fail(VDMC_ERR_IO, "cannot write %s", name);
  return file_record_seal(seed_path("dataset", name), FILE_KIND_DATASET, FILE_RECORD_BYTES, NULL, 0);
}

static int write_png(const char *name, int w, int h, int channels) {
  uint8_t pixels[64];
  for (int i = 0; i < w * h * channels; i++) pixels[i] = pattern((size_t)i);
  return png_write(seed_path("image", name), pixels, w, h, channels);
}

static int write_jpeg(const char *name, int w, int h, int gray, int progressive) {
  FILE *f = fopen(seed_path("image", name), "wb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "cannot create %s", name);
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = (JDIMENSION)w;
  cinfo.image_height = (JDIMENSION)h;
  cinfo.input_components = gray ? 1 : 3;
  cinfo.in_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 50, TRUE);
  if (progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  uint8_t row[3 * 16];
  while (cinfo.next_scanline < cinfo.image_height) {
    for (int x = 0; x < cinfo.input_components * w; x++) row[x] = pattern(cinfo.next_scanline * 48u + (size_t)x);
    JSAMPROW rows[1] = {row};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  return fclose(f) ? vdmc_fail(VDMC_ERR_IO, "cannot write %s", name) : VDMC_OK;
}

// A version 1.0 .npy file: preamble, header dict padded to 64 bytes, data; malloc'd.
static uint8_t *npy_bytes(const char *descr, const char *shape, size_t data_bytes, size_t *size) {
  char dict[128];
  int len = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t header = ((10 + (size_t)len + 1 + 63) / 64) * 64 - 10;
  uint8_t *p = malloc(10 + header + data_bytes);
  if (!p) return NULL;
  memcpy(p, "\x93NUMPY\x01\x00", 8);
  p[8] = (uint8_t)(header & 255);
  p[9] = (uint8_t)(header >> 8);
  memset(p + 10, ' ', header);
  memcpy(p + 10, dict, (size_t)len);
  p[10 + header - 1] = '\n';
  for (size_t i = 0; i < data_bytes; i++) p[10 + header + i] = pattern(i) % 7 + 1;  // labels in 1..7
  *size = 10 + header + data_bytes;
  return p;
}

static int zip_add_npy(zip_t *za, const char *member, const char *descr, const char *shape, size_t data_bytes,
                       int store) {
  size_t size;
  uint8_t *bytes = npy_bytes(descr, shape, data_bytes, &size);
  zip_source_t *src = bytes ? zip_source_buffer(za, bytes, size, 1) : NULL;
  zip_int64_t idx = src ? zip_file_add(za, member, src, ZIP_FL_OVERWRITE) : -1;
  if (idx < 0) {
    if (src) zip_source_free(src);
    else free(bytes);
    return vdmc_fail(VDMC_ERR_IO, "cannot add %s", member);
  }
  if (store) zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
  return VDMC_OK;
}

// An ImageNet-64 shaped archive: data uint8 (rows, 3*64*64), labels (rows,).
static int write_npz(const char *name, size_t rows, const char *label_descr, size_t label_bytes, int store) {
  int err = 0;
  zip_t *za = zip_open(seed_path("npz", name), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!za) return vdmc_fail(VDMC_ERR_IO, "cannot create %s", name);
  char shape[64];
  snprintf(shape, sizeof shape, "(%zu, 12288)", rows);
  int status = zip_add_npy(za, "data.npy", "|u1", shape, rows * 12288, store);
  snprintf(shape, sizeof shape, "(%zu,)", rows);
  if (!status) status = zip_add_npy(za, "labels.npy", label_descr, shape, rows * label_bytes, store);
  if (status) zip_discard(za);
  else if (zip_close(za)) status = vdmc_fail(VDMC_ERR_IO, "cannot write %s", name);
  return status;
}

// A gzip idx file of uint8: magic 0x0000080D, the dims, then the data.
static int write_idx(const char *name, int ndims, const uint32_t *dims, const uint8_t *data) {
  gzFile f = gzopen(seed_path("idx", name), "wb9");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "cannot create %s", name);
  uint8_t head[16] = {0, 0, 8, (uint8_t)ndims};
  size_t n = 1;
  for (int d = 0; d < ndims; d++) {
    for (int b = 0; b < 4; b++) head[4 + 4 * d + b] = (uint8_t)(dims[d] >> (24 - 8 * b));
    n *= dims[d];
  }
  gzwrite(f, head, 4 + 4 * (unsigned)ndims);
  gzwrite(f, data, (unsigned)n);
  return gzclose(f) == Z_OK ? VDMC_OK : vdmc_fail(VDMC_ERR_IO, "cannot write %s", name);
}

static int write_idx_seeds(void) {
  static uint8_t images[2 * 28 * 28];
  for (size_t i = 0; i < sizeof images; i++) images[i] = pattern(i);
  const uint8_t labels[3] = {0, 9, 4};
  const uint32_t label_dims[1] = {3}, image_dims[3] = {2, 28, 28};
  int status = write_idx("labels-idx1-ubyte.gz", 1, label_dims, labels);
  return status ? status : write_idx("images-idx3-ubyte.gz", 3, image_dims, images);
}

// An event file as `vdmc train` writes one: a scalar event, then an image and a
// histogram, renamed from TensorBoard's file name to a fixed one.
static int write_tb_events(void) {
  static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const double limits[2] = {0, 1}, counts[2] = {0.25, 0.75};
  const TbValue v[3] = {
      {.tag = "loss", .kind = TB_SCALAR, .scalar = 0.5},
      {.tag = "samples", .kind = TB_IMAGE, .png = png, .png_len = sizeof png, .width = 2, .height = 2, .colorspace = 1},
      {.tag = "adaptive_schedule/density", .kind = TB_HISTOGRAM, .bucket_limit = limits, .bucket = counts,
       .buckets = 2, .min = -1, .max = 1, .num = 1, .sum = 0.25, .sum_squares = 0.5}};
  TbEventFile f;
  const char *dir = seed_path("tb_events", "");
  int status = tb_file_create(&f, dir, 1700000000, 1.7e9);
  if (!status) status = tb_file_write(&f, 1.7e9 + 1, 1, v, 1);
  if (!status) status = tb_file_write(&f, 1.7e9 + 2, 2, v + 1, 2);
  tb_file_close(&f);
  if (!status && rename(f.path, seed_path("tb_events", "scalar-image-histogram.tfevents")) != 0)
    status = vdmc_fail(VDMC_ERR_IO, "%s: cannot rename", f.path);
  return status;
}

int main(int argc, char **argv) {
  VdmcComm comm;
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_make_seeds OUT_DIR\n");
    return 2;
  }
  snprintf(out_dir, sizeof out_dir, "%s", argv[1]);
  mkdir(out_dir, 0755);
  int status = vdmc_mpi_init(&argc, &argv, &comm);
  if (!status) status = write_checkpoint();
  if (!status) status = write_dataset("gray.h5", 3, 4, 4, 1, 3);
  if (!status) status = write_dataset("rgb.h5", 2, 2, 3, 3, 5);
  if (!status) status = write_foreign_dataset("h5py-like.h5");
  if (!status) status = write_png("gray.png", 3, 2, 1);
  if (!status) status = write_png("rgb.png", 4, 3, 3);
  if (!status) status = write_png("rgba.png", 2, 2, 4);
  if (!status) status = write_jpeg("rgb.jpg", 9, 5, 0, 0);
  if (!status) status = write_jpeg("gray-progressive.jpg", 5, 9, 1, 1);
  if (!status) status = write_npz("deflated.npz", 2, "<i8", 8, 0);
  if (!status) status = write_npz("stored.npz", 1, "|u1", 1, 1);
  if (!status) status = write_idx_seeds();
  if (!status) status = write_tb_events();
  if (status) fprintf(stderr, "fuzz_make_seeds: %s\n", vdmc_error_message());
  vdmc_mpi_finalize();
  return status ? 1 : 0;
}
