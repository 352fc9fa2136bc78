// idx reader target: the input as a gzip idx file read as `vdmc prepare fashion-mnist`
// reads one: as a labels file (idx_read_labels, 10 classes) and as an images file
// (idx_open with 3 dims, then the first images when they are 28x28).
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "io/idx_file.h"

#define SIDE 28
#define READ_IMAGES 4

static void read_images(const char *path) {
  gzFile f = NULL;
  uint32_t dims[3];
  if (idx_open(path, 3, dims, &f)) return;
  if (dims[1] == SIDE && dims[2] == SIDE) {  // prepare refuses any other size
    uint8_t images[READ_IMAGES * SIDE * SIDE];
    size_t k = dims[0] < READ_IMAGES ? dims[0] : READ_IMAGES;
    idx_read(f, path, images, k * SIDE * SIDE, "the images");
  }
  gzclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  int32_t *labels = NULL;
  size_t n = 0;
  idx_read_labels(path, 10, &labels, &n);
  free(labels);
  read_images(path);
  return 0;
}
