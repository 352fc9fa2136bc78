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

typedef struct {
  OutputFile out;  // the target and the temporary written (core/output_file.h)
  hid_t file, images, labels;
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
