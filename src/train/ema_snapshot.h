// Snapshots of the power-function EMAs (optim/ema_power.h) for post-hoc EMA
// (docs/training.md "Post-hoc EMA"). A snapshot is a file in the checkpoint format
// (io/checkpoint.h: tensor table, whole flat arrays with crc32, extras, config),
// RUN/ema/power-ema-IIIIIIIIIIII.h5 named by the images seen, holding
//   /arrays/ema_power_K    the profile of relative std K (float32 [total])
//   /extras/ema_power_stds the relative stds, in the order of the arrays
// Written collectively through the output policy (core/output_file.h): a temporary
// created exclusively, renamed when all ranks wrote and agreed. Nothing prunes them:
// run.keep_checkpoints applies to RUN/checkpoints only. The regular checkpoint holds
// the same arrays and extra, so the tracking resumes exactly.
#ifndef VDMC_TRAIN_EMA_SNAPSHOT_H
#define VDMC_TRAIN_EMA_SNAPSHOT_H

#include <mpi.h>
#include <stdint.h>

#include "io/checkpoint.h"

#define EMA_SNAPSHOT_DIR "ema"
#define EMA_POWER_STDS_EXTRA "ema_power_stds"

// "ema_power_K": the array of profile K in checkpoints and snapshots.
void ema_snapshot_array_name(int k, char out[CHECKPOINT_NAME_LEN]);
// RUN/ema/power-ema-IIIIIIIIIIII.h5 (cap bytes).
void ema_snapshot_path(const char *run_dir, int64_t images, char *out, size_t cap);

// Collective: writes the state (arrays and extras described by the caller; st->images_seen
// names the file) as RUN/ema/power-ema-IMAGES.h5, replacing a snapshot of the same
// images (a run resumed from an older checkpoint re-writes what it passes again).
int ema_snapshot_write(const char *run_dir, const CheckpointState *st, MPI_Comm comm);

// Serial: the snapshot files of RUN/ema in increasing images; *images and *paths are
// malloc'd arrays of *n entries (RUN_DIR/ema missing: n = 0). Other names (temporaries
// of an interrupted write) are skipped.
int ema_snapshot_list(const char *run_dir, int64_t **images, char (**paths)[4096], int *n);

#endif
