// Dataset reader target: the input file opened as the training reader opens it
// (dataset_open collectively, here on MPI_COMM_SELF), its first examples read, and
// described as `vdmc info DATASET` does (dataset_describe, serial: every label read).
// The input's checksum record is rewritten first (fuzz_file_sealed, keeping its
// skipped ranges where they still fit), so mutations reach HDF5 and vdmc's checks
// behind the record; the record's own checks are fuzzed by checkpoint_raw, whose
// reader is the same file_record_verify.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "fuzz_mpi.h"
#include "io/dataset.h"

// Examples read after a successful open: a few, and only when they are small, as the
// trainer reads only examples of the shape its model was configured for.
#define READ_EXAMPLES 4
#define MAX_EXAMPLE_BYTES ((size_t)1 << 20)

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_mpi_init(argc, argv);
  if (!(sink = fopen("/dev/null", "w"))) abort();
  return 0;
}

static void read_first_examples(Dataset *ds) {
  if (ds->h > MAX_EXAMPLE_BYTES || ds->w > MAX_EXAMPLE_BYTES / ds->h ||
      ds->h * ds->w * ds->c > MAX_EXAMPLE_BYTES)
    return;
  size_t k = ds->n < READ_EXAMPLES ? ds->n : READ_EXAMPLES;
  uint8_t *images = malloc(k * ds->h * ds->w * ds->c);
  int32_t *labels = malloc(k * sizeof *labels);
  if (images && labels) dataset_read_range(ds, 0, k, images, labels);
  free(labels);
  free(images);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file_sealed(data, size, FILE_KIND_DATASET);
  Dataset ds;
  if (dataset_open(&ds, path, MPI_COMM_SELF) == 0) {
    read_first_examples(&ds);
    dataset_close(&ds);
  }
  dataset_describe(path, sink);
  return 0;
}
