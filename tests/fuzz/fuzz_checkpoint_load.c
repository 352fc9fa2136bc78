// Checkpoint loader target: the input file loaded collectively (on MPI_COMM_SELF) into
// the seed model as `vdmc train` resumes (checkpoint_load: format version, tensor
// table, lengths, checksums), and peeked at as `vdmc sample` and `vdmc schedule` do
// before building the model (checkpoint_peek: config text and one extra array). The
// input's whole-file checksum record is rewritten first (fuzz_file_sealed), so
// mutations reach HDF5 and the inner checks; checkpoint_raw fuzzes the record itself.
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "fuzz_mpi.h"
#include "seed_model.h"

static SeedModel model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_mpi_init(argc, argv);
  if (seed_model_init(&model)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  seed_model_read_checkpoint(&model, fuzz_file_sealed(data, size, FILE_KIND_CHECKPOINT));
  return 0;
}
