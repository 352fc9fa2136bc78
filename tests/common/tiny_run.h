// A tiny random-weight run for sampling/evaluation tests: RUN/checkpoints/step-N.h5
// written with checkpoint_save exactly as the training loop does (params, ema,
// adam_m, adam_v over the U-Net ParamTable, "adaptive_bins" when diffusion.adaptive,
// the resolved config text). Every weight is random (none zero), so the network's
// output depends on z, lambda and the label.
#ifndef VDMC_TEST_TINY_RUN_H
#define VDMC_TEST_TINY_RUN_H

#include <mpi.h>

#include "config/config.h"

typedef struct {
  const char *arch;        // unet | uvit (2 conv stages, a 1-block width-16 transformer)
  int num_classes;         // 0: unconditional
  const char *param;       // eps | x | v | F (default v: a random eps-model explodes at lambda_min)
  int adaptive;            // write adaptive bins (uneven values)
  int resolution;          // 8 (channels 1)
  const char *test_data;   // data.test (may be NULL)
  long long step;
  int fourier_features;    // model.fourier_features (VDM's Fourier-feature inputs)
} TinyRun;

TinyRun tiny_run_defaults(void);
// The resolved config of the tiny run.
int tiny_run_config(const TinyRun *t, ConfigSet *cs);
// Collective over comm: writes the checkpoint into run_dir.
int tiny_run_write(const char *run_dir, const TinyRun *t, MPI_Comm comm);

#endif
