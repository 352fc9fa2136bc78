// `vdmc prepare fashion-mnist`: gzip-compressed idx files (io/idx_file.h) written as
// vdmc datasets.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "core/status.h"
#include "io/dataset_write.h"
#include "io/idx_file.h"
#include "io/prepare.h"

#define FMNIST_CLASSES 10
#define FMNIST_SIDE 28
#define BLOCK_EXAMPLES 1000

// Copies n images of side x side into the center of out_side x out_side, zero border.
static void pad_images(uint8_t *out, const uint8_t *in, size_t n, size_t side, size_t out_side) {
  size_t off = (out_side - side) / 2;
  memset(out, 0, n * out_side * out_side);
  for (size_t i = 0; i < n; i++)
    for (size_t y = 0; y < side; y++)
      memcpy(out + (i * out_side + y + off) * out_side + off, in + (i * side + y) * side, side);
}

static int convert_split(const char *src_dir, const char *prefix, const char *out_path, int pad32) {
  char img_path[1024], lab_path[1024], source[2200];
  snprintf(img_path, sizeof img_path, "%s/%s-images-idx3-ubyte.gz", src_dir, prefix);
  snprintf(lab_path, sizeof lab_path, "%s/%s-labels-idx1-ubyte.gz", src_dir, prefix);
  int32_t *labels = NULL;
  uint8_t *raw = NULL, *padded = NULL;
  gzFile f = NULL;
  DatasetWriter w = {.f = {.file = -1, .images = -1, .labels = -1}};
  size_t n = 0;
  uint32_t dims[3] = {0, 0, 0};
  int status = idx_read_labels(lab_path, FMNIST_CLASSES, &labels, &n);
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
