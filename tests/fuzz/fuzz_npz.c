// npz/npy reader target: the input as a .npz archive read as `vdmc prepare imagenet64`
// reads one: the members `data` and `labels` opened (npy_open: zip member, .npy
// preamble and header dict), then their first rows read and decoded element by element.
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "io/npz.h"

// Rows read per member: a few, of at most one ImageNet-64 row (3 * 64 * 64 bytes)
// each, as prepare's buffers hold a fixed number of rows of the expected width.
#define READ_ROWS 4
#define MAX_ROW_BYTES ((size_t)3 * 64 * 64)

static volatile uint64_t element_sum;  // keeps the decoded elements alive (wraps, no UB)

static void read_member(zip_t *za, const char *path, const char *name) {
  NpyStream s;
  if (npy_open(&s, za, path, name)) return;
  size_t row_bytes = s.cols * s.elem_size;
  if (s.cols <= MAX_ROW_BYTES && row_bytes <= MAX_ROW_BYTES) {
    size_t k = s.rows < READ_ROWS ? s.rows : READ_ROWS;
    unsigned char *buf = malloc(READ_ROWS * MAX_ROW_BYTES);
    if (buf && npy_read_rows(&s, buf, k) == 0) {
      for (size_t i = 0; i < k * s.cols; i++) element_sum += (uint64_t)npy_element(&s, buf, i);
    }
    free(buf);
  }
  npy_close(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  zip_t *za = NULL;
  if (npz_open(&za, path)) return 0;
  read_member(za, path, "data");
  read_member(za, path, "labels");
  zip_discard(za);
  return 0;
}
