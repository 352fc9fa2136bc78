// The fuzz input as a file, for parsers that open a path (HDF5, libzip, zlib, libpng,
// libjpeg, the YAML config loader).
#ifndef VDMC_FUZZ_FILE_H
#define VDMC_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

// Replaces the contents of the process's one in-memory input file (a memfd) with
// data[0, size) and returns its path, /proc/self/fd/N. Nothing reaches the disk and
// nothing is left behind when the fuzzer crashes or is killed. Aborts when the file
// cannot be written (a broken harness, not a finding).
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
