// `vdmc export`: a run's weights as a safetensors file PyTorch loads
// (docs/interop.md): the C parameter names, PyTorch's layouts, the chosen dtype, and
// metadata holding the resolved config, version, step, checkpoint name and checksums
// and the architecture as JSON (interop/model_json.h).
#ifndef VDMC_INTEROP_EXPORT_H
#define VDMC_INTEROP_EXPORT_H

#include "io/safetensors.h"

typedef struct {
  const char *source;       // a checkpoint file or RUN_DIR (checkpoint_load's path forms)
  const char *out;          // the .safetensors file to write
  const char *weights;      // "ema" or "params": the checkpoint array exported
  SafetensorsDtype dtype;
} ExportRequest;

// Serial (MPI initialised; loads over MPI_COMM_SELF). One error line on failure;
// nothing is written then.
int export_safetensors(const ExportRequest *req);

#endif
