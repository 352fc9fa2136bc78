// Checkpoint describer target: `vdmc info CHECKPOINT` (checkpoint_describe, serial):
// attributes, the tensor table and every stored array re-checksummed. The input's
// whole-file checksum record is rewritten first (fuzz_file_sealed), as in
// checkpoint_load.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "io/checkpoint.h"

static FILE *sink;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  if (!(sink = fopen("/dev/null", "w"))) abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  checkpoint_describe(fuzz_file_sealed(data, size, FILE_KIND_CHECKPOINT), sink);
  return 0;
}
