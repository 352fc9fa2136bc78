// checkpoint_upgrade (`vdmc upgrade`): rewrites format_version 1 checkpoints (no
// checksum record) as format_version 2 without a moment in which the original is
// lost (docs/checkpoints.md, "Upgrading format_version 1"). The layout of the file
// (tensor table, arrays, extras) is read from the file itself, so no model is built;
// the old file is loaded by the loader with the version 1 rules, written by the
// checkpointer's own writer and sealer, loaded back by the normal reader and compared
// bit for bit, and only then renamed over its name, the original kept under a second
// name.
#define _XOPEN_SOURCE 700  // realpath, link, lstat, getpid
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/input_file.h"
#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/file_record.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "mpi/agree.h"

#define BACKUP_DIR "format-v1"  // next to the file: DIR/format-v1/NAME holds the original
#define OLD_VERSION 1

// One file's names, decided by rank 0 and broadcast.
typedef struct {
  char given[CKPT_PATH_LEN];       // as named on the command line or found in the run
  char real[CKPT_PATH_LEN];        // the file replaced: a symlink's target, else `given`
  char tmp[CKPT_PATH_LEN + 32];    // REAL.tmp-PID, created exclusively
  char backup_dir[CKPT_PATH_LEN];  // DIR/format-v1
  char backup[2 * CKPT_PATH_LEN];  // DIR/format-v1/NAME
  int current;                     // 1: already format_version 2 (starts with a checksum record)
} UpgradeNames;

// What a version 1 file holds, read from its own metadata.
typedef struct {
  ParamTable table;  // the /tensors rows with the stored offsets and total
  CkptNameList arrays, extras;
  size_t extra_n[CKPT_MAX_GROUP_NAMES];
} FileLayout;

// A state with this rank's buffers: its part of an even split of every flat array,
// every extra whole.
typedef struct {
  CheckpointState st;
  float *arrays[CHECKPOINT_MAX_ARRAYS];    // (count) this rank's part
  double *extras[CHECKPOINT_MAX_EXTRAS];   // (n) whole
} Held;

// Rank 0: the names of `given` and whether it needs upgrading. Refuses, before
// anything is written, what is not a checkpoint and a backup name taken by another file.
static int prepare_names(const char *given, UpgradeNames *n) {
  memset(n, 0, sizeof *n);
  snprintf(n->given, sizeof n->given, "%s", given);
  snprintf(n->real, sizeof n->real, "%s", given);
  struct stat lsb;
  if (lstat(given, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {  // written through, as the output policy does
    char resolved[PATH_MAX];
    if (!realpath(given, resolved))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: a symlink that does not resolve: %s", given, strerror(errno));
    snprintf(n->real, sizeof n->real, "%s", resolved);
    fprintf(stderr, "vdmc: %s is a symlink: upgrading the file it points to, %s\n", given, n->real);
  }
  int status = input_file_check(n->real, "checkpoint");
  if (status) return status;
  if (file_record_start(n->real) == FILE_START_RECORD) {
    FileKind kind = file_record_kind(n->real);  // a damaged record: the loaders name it
    if (kind != FILE_KIND_CHECKPOINT)
      return vdmc_fail(VDMC_ERR_INPUT, "%s is a vdmc %s file, not a checkpoint: nothing to upgrade", given,
                       file_kind_name(kind));
    n->current = 1;
    return VDMC_OK;
  }
  const char *slash = strrchr(n->real, '/');
  snprintf(n->backup_dir, sizeof n->backup_dir, "%.*s%s", slash ? (int)(slash - n->real + 1) : 0, n->real,
           BACKUP_DIR);
  snprintf(n->backup, sizeof n->backup, "%s/%s", n->backup_dir, slash ? slash + 1 : n->real);
  if (lstat(n->backup, &lsb) == 0 && !fs_same_file(n->backup, n->real))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: cannot keep the original as %s: that name is taken by another file "
                     "(move it away)", given, n->backup);
  snprintf(n->tmp, sizeof n->tmp, "%s.tmp-%ld", n->real, (long)getpid());
  return VDMC_OK;
}

// Collective: the tensor table, array names and extra lengths of the version 1 file.
static int read_layout(const char *path, MPI_Comm comm, FileLayout *l) {
  int status = VDMC_OK;
  hid_t file = H5I_INVALID_HID, dxpl = H5I_INVALID_HID, ds = H5I_INVALID_HID;
  CkptTensorRow *rows = NULL;
  size_t n = 0;
  CkptHeader h;
  char kind[64] = "";
  VDMC_CHECK(ckpt_file_open_as(path, OLD_VERSION, comm, &file));
  VDMC_CHECK(ckpt_dxpl_collective(&dxpl));
  // vdmc's other HDF5 files (datasets, statistics, features) start as HDF5 too
  if (ckpt_attr_read_string(file, VDMC_KIND_ATTR, kind, sizeof kind, path)) kind[0] = '\0';
  if (strcmp(kind, CHECKPOINT_KIND)) {
    status = kind[0] ? vdmc_fail(VDMC_ERR_INPUT, "%s is a vdmc %s file, not a checkpoint: nothing to upgrade", path, kind)
                     : vdmc_fail(VDMC_ERR_INPUT, "%s is not a vdmc checkpoint: HDF5 without a '%s' attribute", path,
                                 VDMC_KIND_ATTR);
    goto cleanup;
  }
  VDMC_CHECK(ckpt_header_read_as(file, path, OLD_VERSION, &h));
  VDMC_CHECK(ckpt_rows_read(file, path, h.total, dxpl, comm, &rows, &n));
  VDMC_CHECK(ckpt_list_group(file, path, "arrays", &l->arrays));
  VDMC_CHECK(ckpt_list_group(file, path, "extras", &l->extras));
  if (l->arrays.n < 1 || l->arrays.n > CHECKPOINT_MAX_ARRAYS || l->extras.n > CHECKPOINT_MAX_EXTRAS) {
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: /arrays has %d members and /extras %d, a checkpoint "
                       "holds 1..%d and 0..%d", path, l->arrays.n, l->extras.n, CHECKPOINT_MAX_ARRAYS,
                       CHECKPOINT_MAX_EXTRAS);
    goto cleanup;
  }
  for (int i = 0; i < l->extras.n; i++) {
    char where[64];
    snprintf(where, sizeof where, "extras/%s", l->extras.names[i]);
    VDMC_CHECK(ckpt_open_1d(file, where, path, &l->extra_n[i], &ds));
    H5Dclose(ds);
    ds = H5I_INVALID_HID;
  }
  if (!(l->table.items = calloc(n ? n : 1, sizeof *l->table.items))) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory for the tensor table", path);
    goto cleanup;
  }
  for (size_t i = 0; i < n; i++) {  // validated rows: ndim 1..4, no overflow, inside total
    ParamInfo *p = &l->table.items[i];
    snprintf(p->name, sizeof p->name, "%s", rows[i].name);
    p->offset = rows[i].offset;
    p->ndim = rows[i].ndim;
    p->decay = rows[i].decay;
    p->numel = 1;
    for (int d = 0; d < p->ndim; d++) p->numel *= p->shape[d] = rows[i].shape[d];
  }
  l->table.count = l->table.capacity = n;
  l->table.total = h.total;
cleanup:
  free(rows);
  if (ds >= 0) H5Dclose(ds);
  if (dxpl >= 0) H5Pclose(dxpl);
  if (file >= 0) H5Fclose(file);
  return status;
}

static int held_alloc(Held *h, const FileLayout *l, MPI_Comm comm) {
  int rank, size;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &size));
  size_t off, cnt;
  checkpoint_partition(l->table.total, rank, size, &off, &cnt);
  checkpoint_state_init(&h->st, &l->table);
  for (int i = 0; i < l->arrays.n; i++) {
    if (!(h->arrays[i] = vdmc_alloc_floats(cnt ? cnt : 1))) return VDMC_ERR_MEMORY;
    int status = checkpoint_add_array(&h->st, l->arrays.names[i], h->arrays[i], off, cnt);
    if (status) return status;
  }
  for (int i = 0; i < l->extras.n; i++) {
    if (!(h->extras[i] = calloc(l->extra_n[i] ? l->extra_n[i] : 1, sizeof(double))))
      return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory for extra '%s'", l->extras.names[i]);
    int status = checkpoint_add_extra(&h->st, l->extras.names[i], h->extras[i], l->extra_n[i]);
    if (status) return status;
  }
  return VDMC_OK;
}

static void held_free(Held *h) {
  for (int i = 0; i < CHECKPOINT_MAX_ARRAYS; i++) vdmc_free_floats(h->arrays[i]);
  for (int i = 0; i < CHECKPOINT_MAX_EXTRAS; i++) free(h->extras[i]);
  free(h->st.config_text);
  memset(h, 0, sizeof *h);
}

// This rank's part: every array slice, every extra, the scalars and the config of the
// file written equal the original's bit for bit.
static int same_bits(const Held *a, const Held *b, const UpgradeNames *n) {
  const char *what = NULL;
  char name[64];
  if (a->st.step != b->st.step || a->st.images_seen != b->st.images_seen || a->st.seed != b->st.seed ||
      a->st.world_size != b->st.world_size)
    what = "the root attributes";
  else if (strcmp(a->st.config_text, b->st.config_text))
    what = "the config text";
  for (int i = 0; !what && i < a->st.narrays; i++)
    if (memcmp(a->arrays[i], b->arrays[i], a->st.arrays[i].count * sizeof(float)))
      what = (snprintf(name, sizeof name, "array '%s'", a->st.arrays[i].name), name);
  for (int i = 0; !what && i < a->st.nextras; i++)
    if (memcmp(a->extras[i], b->extras[i], a->st.extras[i].n * sizeof(double)))
      what = (snprintf(name, sizeof name, "extra '%s'", a->st.extras[i].name), name);
  if (what)
    return vdmc_fail(VDMC_ERR_INTERNAL, "%s: the format_version 2 file written as %s differs from the original in "
                     "%s: nothing was replaced", n->given, n->tmp, what);
  return VDMC_OK;
}

// Collective: one version 1 file through read, write, verify, commit.
static int upgrade_file(const UpgradeNames *n, MPI_Comm comm, FILE *out) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  FileLayout l;
  Held src, back;
  memset(&l, 0, sizeof l);
  memset(&src, 0, sizeof src);
  memset(&back, 0, sizeof back);
  int status = mpi_agree(comm, read_layout(n->real, comm, &l));
  if (!status) status = mpi_agree(comm, held_alloc(&src, &l, comm));
  // every field validated and every crc32 verified before anything is written
  if (!status) status = ckpt_load_file_as(n->real, OLD_VERSION, &src.st, comm);
  if (!status) {
    src.st.stored_world_size = src.st.world_size;
    status = checkpoint_write_file(n->tmp, &src.st, 1, comm);  // removes the temporary on failure
  }
  if (!status) status = mpi_agree(comm, held_alloc(&back, &l, comm));
  if (!status) status = checkpoint_load(n->tmp, comm, &back.st);  // the normal reader: record and all
  if (!status) status = mpi_agree(comm, same_bits(&src, &back, n));
  if (!status && rank == 0) {
    status = fs_mkdir_p(n->backup_dir);
    if (!status) status = ckpt_replace_keeping(n->tmp, n->real, n->backup);
  }
  status = mpi_agree(comm, status);
  if (status && rank == 0) unlink(n->tmp);  // ours (our pid); gone already once renamed
  if (!status && rank == 0)
    fprintf(out, "upgraded %s to format_version 2 (step %lld; %d arrays, %d extras and the config equal bit for "
            "bit); the original is kept as %s\n", n->given, (long long)src.st.step, src.st.narrays, src.st.nextras,
            n->backup);
  held_free(&src);
  held_free(&back);
  param_table_free(&l.table);
  return status;
}

// Rank 0: the files `path` names: itself, or a run's committed step files.
static int list_targets(const char *path, char (**files)[CKPT_PATH_LEN], int *n) {
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
    if (!(*files = malloc(sizeof **files))) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
    snprintf((*files)[0], CKPT_PATH_LEN, "%s", path);
    *n = 1;
    return VDMC_OK;
  }
  int status = ckpt_dir_committed(path, files, n);
  if (!status && *n == 0)
    status = vdmc_fail(VDMC_ERR_INPUT, "%s: no committed checkpoint (checkpoints/step-*.h5) to upgrade", path);
  return status;
}

int checkpoint_upgrade(const char *path, MPI_Comm comm, FILE *out, CheckpointUpgrade *r) {
  int rank, n = 0;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  char(*files)[CKPT_PATH_LEN] = NULL;
  int status = mpi_agree(comm, rank == 0 ? list_targets(path, &files, &n) : VDMC_OK);
  if (!status) MPI_TRY(MPI_Bcast(&n, 1, MPI_INT, 0, comm));
  UpgradeNames *names = malloc(sizeof *names);
  if (!names) status = VDMC_ERR_MEMORY;
  H5E_auto2_t func;
  void *data;
  ckpt_h5_quiet_begin(&func, &data);
  for (int i = 0; !status && i < n; i++) {
    status = mpi_agree(comm, rank == 0 ? prepare_names(files[i], names) : VDMC_OK);
    if (status) break;
    MPI_TRY(MPI_Bcast(names, (int)sizeof *names, MPI_BYTE, 0, comm));
    if (names->current) {
      if (rank == 0) fprintf(out, "%s is format_version 2 already: left as it is\n", names->given);
      r->current++;
      continue;
    }
    if (!(status = upgrade_file(names, comm, out))) r->upgraded++;
  }
  ckpt_h5_quiet_end(func, data);
  free(names);
  free(files);
  return status;
}
