// Shared pieces of io/checkpoint_*.c; not part of the public API (io/checkpoint.h).
// File layout (docs/checkpoints.md):
//   bytes 0-511       HDF5 userblock: the whole-file checksum record (io/file_record.h)
//   /                 attributes format_version, vdmc_version, step, images_seen, seed,
//                     world_size, total (floats per flat array)
//   /tensors          compound [ntensors]: name, offset, ndim, decay, shape[4]
//   /config           int8 [L]: resolved config text (no NUL); attribute crc32
//   /arrays/NAME      float32 [total]; attribute crc32 over the whole array
//   /extras/NAME      float64 [n]; attribute crc32
#ifndef VDMC_IO_CHECKPOINT_INTERNAL_H
#define VDMC_IO_CHECKPOINT_INTERNAL_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "core/param_table.h"
#include "io/checkpoint.h"

#define CKPT_PATH_LEN 4096
#define CKPT_MAX_FILES 4096

typedef struct {
  char name[PARAM_NAME_LEN];
  uint64_t offset;
  int32_t ndim;
  int32_t decay;
  uint64_t shape[PARAM_MAX_DIMS];
} CkptTensorRow;

// The resolved config of a run is a few KB; a stored text above this cap is damage,
// not a config (the same 1 MiB cap as config files, src/config/config.h).
#define CKPT_MAX_CONFIG_BYTES ((size_t)1 << 20)

// The root attributes, read and validated by ckpt_header_read.
typedef struct {
  int32_t format_version;  // == CHECKPOINT_FORMAT_VERSION
  char written_by[64];     // vdmc_version, "unknown" when absent
  int64_t step, images_seen;  // >= 0
  uint64_t seed;
  int32_t world_size;      // >= 1
  uint64_t total;          // floats per flat array, 1..2^58
} CkptHeader;

// ---- checkpoint_validate.c: every field checked before use --------------------
// Reads the root attributes; a wrong format_version is VDMC_ERR_INPUT with a hint,
// any other bad value VDMC_ERR_IO naming the attribute.
int ckpt_header_read(hid_t file, const char *path, CkptHeader *h);
// The same for a file of `format_version` (1: vdmc upgrade reading a file without a
// checksum record); a file of another version is VDMC_ERR_INPUT.
int ckpt_header_read_as(hid_t file, const char *path, int format_version, CkptHeader *h);
// Each row: name NUL-terminated and non-empty, ndim 1..PARAM_MAX_DIMS, decay 0/1,
// every dimension >= 1, offset + product of the shape <= total without overflow, and
// rows in increasing offset order without overlap (as param_table lays them out).
int ckpt_rows_validate(const CkptTensorRow *rows, size_t n, uint64_t total, const char *path);
// Reads /tensors (collective on comm with dxpl; MPI_COMM_NULL and H5P_DEFAULT: serial)
// into *rows (malloc'd, n rows) and validates them (ckpt_rows_validate).
int ckpt_rows_read(hid_t file, const char *path, uint64_t total, hid_t dxpl, MPI_Comm comm, CkptTensorRow **rows,
                   size_t *n);
// Compares the dataset's crc32 attribute with the CRC of `bytes` bytes of data.
int ckpt_crc_check(hid_t dset, const char *path, const char *what, const void *data, size_t bytes);
int ckpt_crc_mismatch(const char *path, const char *what, uint32_t stored, uint32_t computed);
// The config text holds no NUL byte (call after its checksum was verified).
int ckpt_config_check(const char *path, const char *text, size_t len);
// "[8, 3, 3, 3]" (at most PARAM_MAX_DIMS dimensions, truncated to cap).
void ckpt_format_shape(const uint64_t *shape, int ndim, char *out, size_t cap);
// Opens /config and checks its length against CKPT_MAX_CONFIG_BYTES.
int ckpt_open_config(hid_t file, const char *path, size_t *len, hid_t *dset);

// ---- checkpoint_comm.c: slice-independent checksums ----------------------------
// CRC32 of bytes [0, total_bytes) of an array of which this rank holds `bytes` bytes
// starting at byte `offset`. The slices of all ranks must tile the array exactly;
// the per-slice CRCs are combined in offset order, so the result does not depend on
// the slicing. Collective; same result on every rank.
int ckpt_crc_global(MPI_Comm comm, const void *slice, size_t offset, size_t bytes,
                    size_t total_bytes, const char *what, uint32_t *crc);
uint32_t ckpt_crc_update(uint32_t crc, const void *data, size_t bytes);
// Collective: fails on every rank unless all ranks registered the same tensor count,
// total, array names and extras (names, lengths): these decide the collective calls.
int ckpt_check_same_layout(MPI_Comm comm, const CheckpointState *st);

// ---- checkpoint_open.c: the one open of every reader ------------------------------
// Read-only open of a checkpoint-format file, collective over comm (MPI_COMM_NULL:
// serial, the sec2 driver): a regular file (core/input_file.h) whose whole-file
// checksum record matches (io/file_record.h, verified by rank 0 and agreed)
// before HDF5 parses any of it. Errors name the file; *file is invalid on failure.
int ckpt_file_open(const char *path, MPI_Comm comm, hid_t *file);
// The same open for a file of `format_version`: CHECKPOINT_FORMAT_VERSION as above, or
// 1 (vdmc upgrade only): a regular file that starts with HDF5's signature, no record.
int ckpt_file_open_as(const char *path, int format_version, MPI_Comm comm, hid_t *file);

// ---- checkpoint_load.c ------------------------------------------------------------
// Collective: checkpoint_load of the one file `path` (no fallback), read as
// `format_version` (ckpt_file_open_as): every field validated, every checksum verified.
int ckpt_load_file_as(const char *path, int format_version, CheckpointState *st, MPI_Comm comm);

// ---- checkpoint_h5.c: HDF5 helpers (all H5_CHECKed) -------------------------------
// File access through MPI-IO on comm (comm == MPI_COMM_NULL: the serial sec2 driver).
int ckpt_fapl_create(MPI_Comm comm, hid_t *fapl);
int ckpt_dxpl_collective(hid_t *dxpl);
// Collective: rank's elements [offset, offset+count) of a 1-D dataset from/to buf, in
// pieces small enough for MPI-IO counts; ranks with count 0 join with empty selections.
int ckpt_transfer(hid_t dset, hid_t memtype, void *buf, size_t elem_size, size_t offset,
                  size_t count, hid_t dxpl, int is_write, MPI_Comm comm);
int ckpt_create_1d(hid_t loc, const char *name, hid_t type, size_t n, hid_t *dset);
// Opens a 1-D dataset and returns its length, checked against the bytes the file
// really stores for it (a crafted header cannot declare more elements than exist).
int ckpt_open_1d(hid_t loc, const char *path, const char *file, size_t *n, hid_t *dset);
int ckpt_attr_write(hid_t obj, const char *name, hid_t type, const void *value);
int ckpt_attr_write_string(hid_t obj, const char *name, const char *value);
// Missing attribute: VDMC_ERR_IO naming `file` and the attribute.
int ckpt_attr_read(hid_t obj, const char *name, hid_t type, void *value, const char *file);
int ckpt_attr_read_string(hid_t obj, const char *name, char *out, size_t cap, const char *file);
int ckpt_tensor_type(hid_t *type);
// The member names of /GROUP (arrays, extras) in name order; none when it is missing.
// More than CKPT_MAX_GROUP_NAMES members, or a name that does not fit, is damage.
#define CKPT_MAX_GROUP_NAMES 64
typedef struct {
  char names[CKPT_MAX_GROUP_NAMES][CHECKPOINT_NAME_LEN];
  int n;
} CkptNameList;
int ckpt_list_group(hid_t file, const char *path, const char *group, CkptNameList *l);
// Turns HDF5's automatic error printing off; ckpt_h5_quiet_end restores it.
void ckpt_h5_quiet_begin(H5E_auto2_t *func, void **data);
void ckpt_h5_quiet_end(H5E_auto2_t func, void *data);

// ---- checkpoint_dir.c: names, commit, retention, resolution --------------------
void ckpt_dir_of(const char *run_dir, char *out);  // RUN_DIR/checkpoints
void ckpt_file_name(int64_t step, char *out);      // step-NNNNNNNN.h5
// Rank 0 only: fsync file, rename tmp -> final, fsync dir, replace `latest`
// atomically, then delete all but the newest `keep` step files and stale temporaries.
int ckpt_dir_commit(const char *ckpt_dir, const char *tmp_path, int64_t step, int keep);
// Candidate files for `path`, newest first: a file path gives itself (n = 1); a run
// dir, checkpoints dir or `latest` gives the file `latest` names followed by the
// older committed step files. *fallback says whether later candidates may be tried.
int ckpt_dir_candidates(const char *path, char (**cands)[CKPT_PATH_LEN], int *n, int *fallback);

// Serial: the committed step files of `path` (a run dir or its checkpoints dir), newest
// first, as paths (*files malloc'd; none is not an error).
int ckpt_dir_committed(const char *path, char (**files)[CKPT_PATH_LEN], int *n);
// Rank 0 only, vdmc upgrade's commit: fsync tmp_path, give the file at `path` the second
// name `backup` (a hard link, so the original bytes stay reachable under it; fails if
// `backup` is another file: the same file is an upgrade stopped after its link), fsync
// its directory, then rename tmp_path over `path` and fsync
// the directory. A crash at any point leaves the old or the new file at `path`.
int ckpt_replace_keeping(const char *tmp_path, const char *path, const char *backup);

// Test hook: when env VDMC_CKPT_TEST_PAUSE equals `phase` (and VDMC_CKPT_TEST_PAUSE_RANK
// is unset or equals rank) print the pid and stop the process with SIGSTOP.
void ckpt_test_pause(const char *phase, int rank);

#endif
