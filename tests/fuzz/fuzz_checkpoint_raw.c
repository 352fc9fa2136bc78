// Raw checkpoint target: the input exactly as a damaged disk or an attacker without
// the checksum would leave it, record included, given to every checkpoint reader
// (load and peek as in checkpoint_load, describe as in checkpoint_describe). Nearly
// every mutation must stop at the whole-file checksum record
// (io/file_record.h) before HDF5 sees the file.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "fuzz_mpi.h"
#include "io/checkpoint.h"
#include "seed_model.h"

static SeedModel model;
static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_mpi_init(argc, argv);
  if (seed_model_init(&model) || !(sink = fopen("/dev/null", "w"))) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  seed_model_read_checkpoint(&model, path);
  checkpoint_describe(path, sink);
  return 0;
}
