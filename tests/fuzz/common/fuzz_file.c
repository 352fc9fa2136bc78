#define _GNU_SOURCE  // memfd_create
#include "fuzz_file.h"

#include "io/file_record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int input_fd = -1;
static char input_path[64];

static void fail(const char *what) {
  perror(what);
  abort();
}

const char *fuzz_file(const uint8_t *data, size_t size) {
  if (input_fd < 0) {
    // No MFD_CLOEXEC: the path must stay valid for whatever the libraries fork.
    if ((input_fd = memfd_create("vdmc-fuzz-input", 0)) < 0) fail("fuzz_file: memfd_create");
    snprintf(input_path, sizeof input_path, "/proc/self/fd/%d", input_fd);
  }
  if (ftruncate(input_fd, 0) != 0) fail("fuzz_file: ftruncate");
  for (size_t done = 0; done < size;) {
    ssize_t n = pwrite(input_fd, data + done, size - done, (off_t)done);
    if (n <= 0) fail("fuzz_file: pwrite");
    done += (size_t)n;
  }
  return input_path;
}

const char *fuzz_file_sealed(const uint8_t *data, size_t size, FileKind kind) {
  if (size < FILE_RECORD_BYTES) return fuzz_file(data, size);
  uint8_t *copy = malloc(size);  // libFuzzer's input is read-only
  if (!copy) fail("fuzz_file_sealed: malloc");
  memcpy(copy, data, size);
  file_record_seal_bytes(copy, size, kind);
  const char *path = fuzz_file(copy, size);
  free(copy);
  return path;
}
