// `vdmc prepare fashion-mnist`: gzip-compressed idx files (LeCun's MNIST format,
// big-endian header: magic 0x0000080D with D = number of dims, then D uint32 sizes,
// then uint8 data) read with zlib and written as vdmc datasets.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/input_file.h"
#include "core/output_file.h"
#include "core/status.h"
#include "io/dataset_write.h"
#include "io/prepare.h"

#define FMNIST_CLASSES 10
#define FMNIST_SIDE 28
#define IDX_UBYTE_MAGIC 0x00000800u  // + number of dimensions in the low byte
#define BLOCK_EXAMPLES 1000

static int idx_read(gzFile f, const char *path, void *buf, size_t bytes, const char *what) {
  int got = gzread(f, buf, (unsigned)bytes);
  if (got < 0 || (size_t)got != bytes) {
    int zerr = 0;
    const char *msg = gzerror(f, &zerr);
    return vdmc_fail(VDMC_ERR_IO, "%s: truncated or corrupt while reading %s (%s)", path, what,
                     zerr ? msg : "unexpected end of file");
  }
  return VDMC_OK;
}

// Opens an idx file of `ndims` uint8 dimensions and reads the sizes into dims.
static int idx_open(const char *path, int ndims, uint32_t *dims, gzFile *out) {
  struct stat st;  // a missing file keeps the hint below; anything else but a file is named
  if (stat(path, &st) == 0 && input_file_check(path, "idx file")) return VDMC_ERR_IO;
  output_note_input(path);
  gzFile f = gzopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open (is dataset-fashion-mnist installed? --src DIR)", path);
  uint8_t head[4 + 4 * 3];
  int status = idx_read(f, path, head, 4 + 4 * (size_t)ndims, "the idx header");
  if (!status) {
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (magic != (IDX_UBYTE_MAGIC | (uint32_t)ndims))
      status = vdmc_fail(VDMC_ERR_IO, "%s: bad idx magic 0x%08x, expected 0x%08x (uint8, %d dims)", path,
                         magic, IDX_UBYTE_MAGIC | (uint32_t)ndims, ndims);
    for (int d = 0; d < ndims; d++) {
      const uint8_t *p = head + 4 + 4 * d;
      dims[d] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
  }
  if (status) {
    gzclose(f);
    return status;
  }
  *out = f;
  return VDMC_OK;
}

// Copies n images of side x side into the center of out_side x out_side, zero border.
static void pad_images(uint8_t *out, const uint8_t *in, size_t n, size_t side, size_t out_side) {
  size_t off = (out_side - side) / 2;
  memset(out, 0, n * out_side * out_side);
  for (size_t i = 0; i < n; i++)
    for (size_t y = 0; y < side; y++)
      memcpy(out + (i * out_side + y + off) * out_side + off, in + (i * side + y) * side, side);
}

static int read_labels(const char *path, int32_t **labels, size_t *n) {
  gzFile f = NULL;
  uint32_t dims[1] = {0};
  int status = idx_open(path, 1, dims, &f);
  if (status) return status;
  uint8_t *raw = malloc(dims[0] ? dims[0] : 1);
  *labels = malloc(sizeof(int32_t) * (dims[0] ? dims[0] : 1));
  if (!raw || !*labels) status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  if (!status) status = idx_read(f, path, raw, dims[0], "the labels");
  for (size_t i = 0; !status && i < dims[0]; i++) {
    if (raw[i] >= FMNIST_CLASSES)
      status = vdmc_fail(VDMC_ERR_IO, "%s: label %u of example %zu is not in 0..9", path, raw[i], i);
    (*labels)[i] = raw[i];
  }
  free(raw);
  gzclose(f);
  *n = dims[0];
  return status;
}

static int convert_split(const char *src_dir, const char *prefix, const char *out_path, int pad32) {
  char img_path[1024], lab_path[1024], source[2200];
  snprintf(img_path, sizeof img_path, "%s/%s-images-idx3-ubyte.gz", src_dir, prefix);
  snprintf(lab_path, sizeof lab_path, "%s/%s-labels-idx1-ubyte.gz", src_dir, prefix);
  int32_t *labels = NULL;
  uint8_t *raw = NULL, *padded = NULL;
  gzFile f = NULL;
  DatasetWriter w = {.file = -1, .images = -1, .labels = -1};
  size_t n = 0;
  uint32_t dims[3] = {0, 0, 0};
  int status = read_labels(lab_path, &labels, &n);
  if (status || (status = idx_open(img_path, 3, dims, &f))) goto cleanup;
  if (dims[1] != FMNIST_SIDE || dims[2] != FMNIST_SIDE) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: images are %ux%u, expected 28x28", img_path, dims[1], dims[2]);
    goto cleanup;
  }
  if (dims[0] != n || n == 0) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: %u images but %s has %zu labels", img_path, dims[0], lab_path, n);
    goto cleanup;
  }
  size_t side = pad32 ? 32 : FMNIST_SIDE;
  snprintf(source, sizeof source, "fashion-mnist idx: %s, %s%s", img_path, lab_path,
           pad32 ? " (zero-padded to 32x32)" : "");
  DatasetSpec spec = {"fashion-mnist", source, n, side, side, 1, FMNIST_CLASSES};
  raw = malloc((size_t)BLOCK_EXAMPLES * FMNIST_SIDE * FMNIST_SIDE);
  padded = malloc((size_t)BLOCK_EXAMPLES * side * side);
  if (!raw || !padded) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", img_path);
    goto cleanup;
  }
  if ((status = dataset_writer_create(&w, out_path, &spec))) goto cleanup;
  for (size_t i = 0; i < n && !status; i += BLOCK_EXAMPLES) {
    size_t k = n - i < BLOCK_EXAMPLES ? n - i : BLOCK_EXAMPLES;
    status = idx_read(f, img_path, raw, k * FMNIST_SIDE * FMNIST_SIDE, "the images");
    if (status) break;
    if (pad32) pad_images(padded, raw, k, FMNIST_SIDE, side);
    status = dataset_writer_append(&w, pad32 ? padded : raw, labels + i, k);
  }
  if (!status) status = dataset_writer_commit(&w);
cleanup:
  if (status) dataset_writer_abort(&w);
  if (f) gzclose(f);
  free(padded);
  free(raw);
  free(labels);
  return status;
}

int prepare_fashion_mnist(const char *src_dir, const char *out_dir, int pad32) {
  static const char *splits[2][2] = {{"train", "fashion-mnist-train.h5"}, {"t10k", "fashion-mnist-test.h5"}};
  for (int s = 0; s < 2; s++) {
    char out[1100];
    int status = prepare_output_path(out, sizeof out, out_dir, splits[s][1]);
    if (status || (status = convert_split(src_dir, splits[s][0], out, pad32))) return status;
    printf("wrote %s\n", out);
  }
  return VDMC_OK;
}
