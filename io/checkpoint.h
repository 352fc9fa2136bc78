// Collective HDF5 checkpoints of the flat-buffer training state (docs/design.md,
// Files are committed; layout and protocol in docs/checkpoints.md).
//
// A CheckpointState describes what to save or where to load into: the tensor
// table, named flat float arrays of table->total floats (params, ema, adam_m,
// adam_v) of which this rank holds the slice [offset, offset+count), small double
// arrays held whole by every rank (schedule bins, learned-schedule parameters),
// scalars and the resolved config text. The file always stores whole arrays, so a
// checkpoint written by P ranks loads at any number of ranks with any slicing.
#ifndef VDMC_IO_CHECKPOINT_H
#define VDMC_IO_CHECKPOINT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/param_table.h"

// Bump when the layout changes; loading a different version fails with a hint.
#define CHECKPOINT_FORMAT_VERSION 2  // 2: the whole-file checksum record
#define CHECKPOINT_KIND "checkpoint"  // root attribute vdmc_kind
#define CHECKPOINT_MAX_ARRAYS 8
#define CHECKPOINT_MAX_EXTRAS 8
#define CHECKPOINT_NAME_LEN 32

typedef struct {
  char name[CHECKPOINT_NAME_LEN];  // "params", "ema", "adam_m", "adam_v"
  float *data;                     // (count) this rank's elements [offset, offset+count)
  size_t offset, count;            // save: the slices of all ranks tile [0, table->total)
} CheckpointArray;

typedef struct {
  char name[CHECKPOINT_NAME_LEN];  // e.g. "schedule_bin_sum"
  double *data;                    // (n) the whole array; identical on every rank
  size_t n;
} CheckpointExtra;

typedef struct {
  const ParamTable *table;  // the model's tensor table; flat arrays hold table->total floats
  CheckpointArray arrays[CHECKPOINT_MAX_ARRAYS];
  int narrays;
  CheckpointExtra extras[CHECKPOINT_MAX_EXTRAS];
  int nextras;
  int64_t step;             // optimizer steps taken
  int64_t images_seen;
  uint64_t seed;
  int world_size;           // save: ignored (the communicator's size is stored); load: the writer's
  int stored_world_size;    // save: 0 (the communicator's size is stored) or the size to store:
                            // vdmc upgrade keeps the original writer's
  char *config_text;        // save: resolved config, NUL-terminated (rank 0's is stored);
                            // load: replaced by a malloc'd copy the caller free()s
  char loaded_path[4096];   // load: the file actually loaded (after any fallback)
} CheckpointState;

void checkpoint_state_init(CheckpointState *st, const ParamTable *table);
// Registers a flat array slice / a small double array (names unique, < CHECKPOINT_NAME_LEN).
int checkpoint_add_array(CheckpointState *st, const char *name, float *data, size_t offset,
                         size_t count);
int checkpoint_add_extra(CheckpointState *st, const char *name, double *data, size_t n);
// Rank `rank`'s part of an even split of [0, total): for arrays every rank holds whole,
// so each rank writes only its part.
void checkpoint_partition(size_t total, int rank, int nranks, size_t *offset, size_t *count);

// Collective over comm. Writes RUN_DIR/checkpoints/step-NNNNNNNN.h5 through a
// temporary name, commits it (rename, then `latest`), and keeps the newest `keep`
// files. On failure the previous checkpoint and `latest` are untouched. Every rank
// returns the same status.
int checkpoint_save(const char *run_dir, const CheckpointState *st, int keep, MPI_Comm comm);

// Collective over comm: writes the state into `tmp_path` (created exclusively when
// `exclusive`, otherwise created or truncated) with checkpoint_save's layout,
// checksums and agreement, and commits nothing: the caller
// renames it (post-hoc EMA snapshots and `vdmc ema` outputs, through the output
// policy of core/output_file.h). On failure rank 0 removes tmp_path; every rank
// returns the same status.
int checkpoint_write_file(const char *tmp_path, const CheckpointState *st, int exclusive, MPI_Comm comm);
// Collective: checkpoint_write_file through the output policy (core/output_file.h):
// `path` is checked by rank 0 (no special files, no inputs of this process, nothing
// in a run's checkpoints/), written as an exclusive temporary and renamed over it
// when every rank succeeded. Every rank returns the same status.
int checkpoint_write_output(const char *path, const CheckpointState *st, MPI_Comm comm);

// Collective over comm. `path` is a checkpoint file, or RUN_DIR, RUN_DIR/checkpoints
// or RUN_DIR/checkpoints/latest to load the latest one; in that case a broken newest
// file (truncated, checksum mismatch) falls back to the previous complete one with a
// warning line on stderr. Fills each registered array slice and extra, the scalars,
// config_text and loaded_path; checks format_version, checksums, and that the tensor
// table matches st->table (names the first differing tensor).
int checkpoint_load(const char *path, MPI_Comm comm, CheckpointState *st);

// Serial, any rank: whether RUN_DIR holds a run, i.e. RUN_DIR/checkpoints has a
// `latest` entry of any kind (even a dangling or unreadable one) or a committed
// step-N.h5. Temporaries alone are not a run. An unreadable checkpoints directory is
// an error, never "no run": callers that start from scratch on "no run" would
// overwrite the run's committed files.
int checkpoint_run_exists(const char *run_dir, int *exists);

// Serial, rank 0: fails when a checkpoint of RUN_DIR could not be committed because
// RUN_DIR/checkpoints/latest is a directory (train checks before its first step
// rather than after the first interval of work).
int checkpoint_dir_check_writable(const char *run_dir);

// Serial (no MPI needed): the resolved config text stored in the checkpoint at `path`
// (same path forms as checkpoint_load; the newest readable candidate) as a malloc'd
// string, and optionally one extra array (*values malloc'd, NULL with *n = 0 when the
// checkpoint has no such extra). Used to rebuild the model before a full load
// (sample, eval) and to show a stored adaptive schedule (vdmc schedule). resolved_path
// (CKPT_PATH_LEN = 4096 bytes) receives the file that was read.
int checkpoint_peek(const char *path, char **config_text, const char *extra, double **values,
                    size_t *n, char *resolved_path);

// Serial (no MPI needed): prints step, world size, tensors, arrays with stored and
// recomputed checksums, config text length and format version of the checkpoint
// at `path` (same path forms as checkpoint_load). Fails on a checksum mismatch.
int checkpoint_describe(const char *path, FILE *out);

// What checkpoint_upgrade did.
typedef struct {
  int upgraded;  // format_version 1 files rewritten as format_version 2
  int current;   // files that were format_version 2 already, left as they are
} CheckpointUpgrade;

// Collective over comm (docs/checkpoints.md, "Upgrading format_version 1"). `path` is
// a checkpoint file, or a run directory (RUN or RUN/checkpoints: every committed step
// file). Each format_version 1 file is read with the version 1 rules (every field
// validated, every crc32 verified) before anything is written, written as
// format_version 2 by checkpoint_write_file into an exclusive temporary next to it,
// loaded back by checkpoint_load and compared bit for bit, and only then renamed over
// its name; the original stays as DIR/format-v1/NAME (a hard link). A format_version 2
// file is left alone. Rank 0 prints one line per file to `out`; *r counts on from what
// it holds. Stops at the first file that fails, with one line naming it; files
// upgraded before it stay upgraded.
int checkpoint_upgrade(const char *path, MPI_Comm comm, FILE *out, CheckpointUpgrade *r);

// What checkpoint_compare found; differences counts everything that differs beyond
// tol (attributes, tensor table, config text, arrays, extras, members only in one).
typedef struct {
  double tol;
  FILE *out;
  int arrays;       // arrays and extras compared value by value
  int differences;
  double worst;     // largest max relative difference (INFINITY for NaN vs number)
} CheckpointCompare;

// Serial: compares two checkpoint files field by field and prints one line per item
// to `out` (attributes that differ, the tensor table, the config text, every array
// and extra with its max relative difference max|a-b|/max|b|). Both files are
// validated and their checksums verified against the data read; a damaged file is an
// error naming it (VDMC_ERR_IO), not a difference. world_size is printed, never a
// difference (checkpoints of the same run at other rank counts are what it checks).
int checkpoint_compare(const char *path_a, const char *path_b, double tol, FILE *out, CheckpointCompare *r);

#endif
