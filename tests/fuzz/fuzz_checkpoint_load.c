// Checkpoint loader target: the input file loaded collectively (on MPI_COMM_SELF) into
// the seed model as `vdmc train` resumes (checkpoint_load: format version, tensor
// table, lengths, checksums), and peeked at as `vdmc sample` and `vdmc schedule` do
// before building the model (checkpoint_peek: config text and one extra array).
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "fuzz_mpi.h"
#include "io/checkpoint.h"
#include "io/checkpoint_internal.h"
#include "seed_model.h"

static SeedModel model;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_mpi_init(argc, argv);
  if (seed_model_init(&model)) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_file(data, size);
  CheckpointState st;
  seed_model_state(&model, &st);
  if (checkpoint_load(path, MPI_COMM_SELF, &st) == 0) free(st.config_text);

  char *config = NULL, resolved[CKPT_PATH_LEN];
  double *bins = NULL;
  size_t nbins = 0;
  checkpoint_peek(path, &config, SEED_MODEL_EXTRA, &bins, &nbins, resolved);
  free(config);
  free(bins);
  return 0;
}
