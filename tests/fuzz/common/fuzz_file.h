// The fuzz input as a file, for parsers that open a path (HDF5, libzip, zlib, libpng,
// libjpeg, the YAML config loader).
#ifndef VDMC_FUZZ_FILE_H
#define VDMC_FUZZ_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "io/file_record.h"

// Replaces the contents of the process's one in-memory input file (a memfd) with
// data[0, size) and returns its path, /proc/self/fd/N. Nothing reaches the disk and
// nothing is left behind when the fuzzer crashes or is killed. Aborts when the file
// cannot be written (a broken harness, not a finding).
const char *fuzz_file(const uint8_t *data, size_t size);
// fuzz_file of the input with its checksum record (io/file_record.h) rewritten as a
// record of `kind` for the mutated bytes, when it has room for one: mutations then
// reach HDF5 and vdmc's inner checks instead of all failing the record. Inputs
// shorter than the record are passed as they are.
const char *fuzz_file_sealed(const uint8_t *data, size_t size, FileKind kind);

#endif
