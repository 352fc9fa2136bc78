// `vdmc ema`: the EMA of any relative std reconstructed after training from a run's
// power-function EMA snapshots (train/ema_snapshot.h, optim/ema_posthoc.h;
// docs/training.md "Post-hoc EMA"). The output is a checkpoint file that `vdmc
// sample`, `eval` and `export` read like any other: the latest checkpoint's tensor
// table, config, params and schedule extras, with "ema" replaced by the
// reconstruction and the extra "ema_posthoc" = [std, images, residual, profiles].
// Collective: each rank reads and sums its even part of every flat array.
#ifndef VDMC_TRAIN_EMA_RECONSTRUCT_H
#define VDMC_TRAIN_EMA_RECONSTRUCT_H

#include <mpi.h>
#include <stdio.h>

#define EMA_RECONSTRUCT_MAX_STDS 16
#define EMA_POSTHOC_EXTRA "ema_posthoc"

typedef struct {
  const char *run_dir;
  double std[EMA_RECONSTRUCT_MAX_STDS];  // relative stds wanted, each in (0, EMA_POWER_MAX_STD)
  int nstd;
  const char *out;  // the file for one std; with several, "-stdS" goes before a final ".h5"
} EmaReconstructRequest;

// The output file of std k of the request (cap bytes).
void ema_reconstruct_out_path(const EmaReconstructRequest *r, int k, char *out, size_t cap);
// Collective over comm. Rank 0 prints one line per std to `report` (residual,
// condition number, file). Every snapshot is validated before use; a bad one is one
// line naming the file.
int ema_reconstruct(const EmaReconstructRequest *r, MPI_Comm comm, FILE *report);

#endif
