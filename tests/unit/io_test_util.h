// Helpers shared by the io tests (included by test_dataset.c, test_reader.c, ...):
// a private temporary directory, file checks, and a synthetic dataset whose every
// byte is a known function of (example, position) so reads can be verified.
#ifndef VDMC_TEST_IO_UTIL_H
#define VDMC_TEST_IO_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/status.h"
#include "io/dataset_write.h"

static inline uint8_t io_test_pixel(size_t example, size_t pos) {
  return (uint8_t)((example * 131u + pos * 7u + (example >> 8)) & 255u);
}
static inline int32_t io_test_label(size_t example, int classes) { return (int32_t)((example * 5u + 3u) % (unsigned)classes); }

// Makes `dir` (a fresh mkdtemp directory under /tmp) and returns 0 on success.
static inline int io_test_tmpdir(char *dir, size_t size, const char *tag) {
  snprintf(dir, size, "/tmp/vdmc-%s-XXXXXX", tag);
  return mkdtemp(dir) ? 0 : -1;
}
static inline void io_test_rmdir(const char *dir) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
}
static inline int io_test_exists(const char *path) { return access(path, F_OK) == 0; }

// Writes a synthetic dataset of n examples h x w x c, appending in uneven blocks.
static inline int io_test_write_dataset(const char *path, size_t n, size_t h, size_t w, size_t c, int classes) {
  DatasetSpec spec = {"synthetic", "io_test_util.h", n, h, w, c, classes};
  DatasetWriter wr;
  int status = dataset_writer_create(&wr, path, &spec);
  if (status) return status;
  size_t ex = h * w * c, block = 7;
  uint8_t *img = malloc(block * ex);
  int32_t lab[7];
  for (size_t i = 0; i < n && !status; i += block) {
    size_t k = n - i < block ? n - i : block;
    for (size_t j = 0; j < k; j++) {
      for (size_t p = 0; p < ex; p++) img[j * ex + p] = io_test_pixel(i + j, p);
      lab[j] = io_test_label(i + j, classes);
    }
    status = dataset_writer_append(&wr, img, lab, k);
  }
  free(img);
  if (!status) status = dataset_writer_commit(&wr);
  else dataset_writer_abort(&wr);
  return status;
}

#endif
