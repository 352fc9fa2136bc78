#include "cli/commands.h"

#include <stdio.h>

int cmd_version(int argc, char **argv) {
  printf("vdmc %s\n", VDMC_VERSION);
  return 0;
}

const VdmcCommand vdmc_commands[] = {
    {"version", "print the vdmc version", cmd_version},
    {"compare", "compare two checkpoints array by array (max relative difference)", cmd_compare},
    {"train", "train a model (mpirun -n P vdmc train [CONFIG] --run DIR)", cmd_train},
    {"config", "print a resolved config (file + --set overrides) or the key table (--doc)", cmd_config},
    {"blas", "show the OpenBLAS core, CPU features, threads and sgemm GFLOP/s", cmd_blas},
    {"schedule", "tabulate or plot a noise schedule p(lambda) and weighting w(lambda)", cmd_schedule},
    {"prepare", "convert a dataset into vdmc HDF5 files", cmd_prepare},
    {"info", "describe a vdmc file (dataset)", cmd_info},
    {"sample", "draw samples (DDPM, EDM, ODE; guidance) from a run's checkpoint", cmd_sample},
    {"eval", "bits/dim (VDM ELBO) of a run's checkpoint over a dataset split", cmd_eval},
    {"train-classifier", "train the small FID/IS feature classifier on a dataset", cmd_train_classifier},
    {"export", "write a run's weights as safetensors for PyTorch (python/vdmc_torch.py)", cmd_export},
    {"import", "start a run from exported safetensors weights (fine-tuning)", cmd_import},
    {"ema", "post-hoc EMA: the weights of any EMA length from a run's power-function EMA snapshots", cmd_ema},
    {"upgrade", "rewrite a run's format_version 1 checkpoints (no checksum record) as format_version 2", cmd_upgrade},
    {"fid-stats", "FID reference statistics (feature mean, covariance) of a dataset", cmd_fid_stats},
};
const int vdmc_command_count = (int)(sizeof vdmc_commands / sizeof vdmc_commands[0]);
