// Writing a vdmc dataset file (format in dataset.h), serially, as `vdmc prepare`
// does: create under a temporary name, append examples in order, then commit
// (check the count, close, rename) or abort (close, delete). A failed or
// interrupted conversion therefore never leaves a file under the final name.
#ifndef VDMC_IO_DATASET_WRITE_H
#define VDMC_IO_DATASET_WRITE_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "core/output_file.h"

typedef struct {
  const char *name;    // attribute `name`, e.g. "fashion-mnist"
  const char *source;  // attribute `source`: where the examples came from
  size_t n, h, w, c;   // /images shape
  int num_classes;
} DatasetSpec;

// An open dataset file being written: /images and /labels created (chunked, as
// docs/data.md says), the root attributes written, a userblock reserved for the
// checksum record (io/file_record.h).
typedef struct {
  hid_t file, images, labels;  // -1 when closed
  uint32_t userblock;          // bytes reserved for the checksum record
} DatasetFile;

// Creates `path` (exclusively) through `fapl` (serial or MPI-IO; collective then) in
// the dataset format of `spec`. On failure nothing stays open.
int dataset_file_create(const char *path, const DatasetSpec *spec, hid_t fapl, DatasetFile *f);
void dataset_file_close(DatasetFile *f);
// Serial, on the closed file: locates every chunk of /images and /labels and writes
// the checksum record that skips them (the metadata HDF5 parses is what it covers).
int dataset_file_seal(const char *path, uint32_t userblock);

typedef struct {
  OutputFile out;  // the target and the temporary written (core/output_file.h)
  DatasetFile f;
  size_t n, h, w, c, written;
  int num_classes;
} DatasetWriter;

int dataset_writer_create(DatasetWriter *w, const char *path, const DatasetSpec *spec);
// Appends `count` examples: images (count, H, W, C), labels (count) in [0, num_classes).
int dataset_writer_append(DatasetWriter *w, const uint8_t *images, const int32_t *labels, size_t count);
// Fails (and aborts) unless exactly N examples were appended.
int dataset_writer_commit(DatasetWriter *w);
// Closes and deletes the temporary file; safe after a failed create or commit.
void dataset_writer_abort(DatasetWriter *w);

#endif
