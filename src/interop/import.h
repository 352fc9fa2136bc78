// `vdmc import`: starts a run from exported weights (fine-tuning; docs/interop.md,
// "Import"). The model built from the config must match the file tensor for tensor
// (names and PyTorch shapes); the weights go back to vdmc's layouts and become the
// params and EMA of a step-0 checkpoint written by the trainer's own checkpoint code
// (Adam moments zero), so `vdmc train CONFIG --run DIR` continues from it.
#ifndef VDMC_INTEROP_IMPORT_H
#define VDMC_INTEROP_IMPORT_H

#include "config/config.h"
#include "mpi/comm.h"

// Collective over comm. Refuses a run directory that already has checkpoints.
int import_safetensors(const char *path, const ConfigSet *cs, const VdmcComm *comm, const char *run_dir);

#endif
