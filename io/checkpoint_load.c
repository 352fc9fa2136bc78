// checkpoint_load: every rank reads the slices it asked for (any number of ranks,
// any slicing), then verifies format_version, the tensor table and the checksums.
// Given a run directory or `latest`, a broken newest file falls back to the
// previous complete one with one warning line.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"
#include "mpi/agree.h"

typedef struct {
  const char *path;
  int format_version;  // CHECKPOINT_FORMAT_VERSION, or 1 for vdmc upgrade
  hid_t dxpl, file;
  hid_t arrays[CHECKPOINT_MAX_ARRAYS];
  hid_t extras[CHECKPOINT_MAX_EXTRAS];
  hid_t config;
  size_t config_len;
  CkptHeader head;
} LoadFile;

static int row_matches(const CkptTensorRow *r, const ParamInfo *p) {
  if (strcmp(r->name, p->name) || r->ndim != p->ndim || r->offset != p->offset) return 0;
  for (int d = 0; d < p->ndim; d++)
    if (r->shape[d] != p->shape[d]) return 0;
  return 1;
}

static int tensor_mismatch(const char *path, const CkptTensorRow *r, const ParamInfo *p, size_t i) {
  char fs[128] = "(none)", ms[128] = "(none)";
  uint64_t shape[PARAM_MAX_DIMS] = {0};
  if (r) ckpt_format_shape(r->shape, r->ndim, fs, sizeof fs);
  if (p) {
    for (int d = 0; d < p->ndim; d++) shape[d] = p->shape[d];
    ckpt_format_shape(shape, p->ndim, ms, sizeof ms);
  }
  return vdmc_fail(VDMC_ERR_INPUT,
                   "checkpoint %s does not fit this model: tensor %zu is '%s' %s at offset %llu in the "
                   "file but '%s' %s at offset %zu in the model (check the model section of the config)",
                   path, i, r ? r->name : "(none)", fs, r ? (unsigned long long)r->offset : 0ULL,
                   p ? p->name : "(none)", ms, p ? p->offset : (size_t)0);
}

static int check_tensors(LoadFile *f, const ParamTable *t, MPI_Comm comm) {
  int status = VDMC_OK;
  size_t n = 0;
  CkptTensorRow *rows = NULL;
  VDMC_CHECK(ckpt_rows_read(f->file, f->path, f->head.total, f->dxpl, comm, &rows, &n));
  size_t common = n < t->count ? n : t->count;
  for (size_t i = 0; i < common; i++)
    if (!row_matches(&rows[i], &t->items[i])) {
      status = tensor_mismatch(f->path, &rows[i], &t->items[i], i);
      goto cleanup;
    }
  if (n != t->count) {
    status = tensor_mismatch(f->path, n > common ? &rows[common] : NULL,
                             t->count > common ? &t->items[common] : NULL, common);
    goto cleanup;
  }
  if (f->head.total != t->total)
    status = vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s: flat arrays hold %llu floats, the model needs %zu",
                       f->path, (unsigned long long)f->head.total, t->total);
cleanup:
  free(rows);
  return status;
}

static int open_named(LoadFile *f, const char *group, const char *name, size_t want, hid_t *dset) {
  char where[128];
  size_t n = 0;
  snprintf(where, sizeof where, "%s/%s", group, name);
  if (H5Lexists(f->file, group, H5P_DEFAULT) <= 0 || H5Lexists(f->file, where, H5P_DEFAULT) <= 0)
    return vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s has no %s '%s' (saved by a run with a different "
                     "optimizer or schedule setup?)", f->path, group, name);
  int status = ckpt_open_1d(f->file, where, f->path, &n, dset);
  if (!status && n != want)
    status = vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s: '%s' has %zu elements, expected %zu", f->path,
                       where, n, want);
  return status;
}

// Phase 1: open, format version, scalars, tensor table, datasets present with the
// right lengths. Deterministic on every rank (same file, same model).
static int open_and_check(LoadFile *f, const CheckpointState *st, MPI_Comm comm) {
  int status = VDMC_OK;
  VDMC_CHECK(ckpt_file_open_as(f->path, f->format_version, comm, &f->file));
  VDMC_CHECK(ckpt_dxpl_collective(&f->dxpl));
  VDMC_CHECK(ckpt_header_read_as(f->file, f->path, f->format_version, &f->head));
  VDMC_CHECK(check_tensors(f, st->table, comm));
  for (int i = 0; i < st->narrays; i++)
    VDMC_CHECK(open_named(f, "arrays", st->arrays[i].name, f->head.total, &f->arrays[i]));
  for (int i = 0; i < st->nextras; i++)
    VDMC_CHECK(open_named(f, "extras", st->extras[i].name, st->extras[i].n, &f->extras[i]));
  VDMC_CHECK(ckpt_open_config(f->file, f->path, &f->config_len, &f->config));
cleanup:
  return status;
}

static int stored_crc(hid_t dset, const char *path, uint32_t *crc) {
  return ckpt_attr_read(dset, "crc32", H5T_NATIVE_UINT32, crc, path);
}

// Reads a whole small dataset on every rank and checks its crc32.
static int read_whole(LoadFile *f, hid_t dset, hid_t type, size_t elem, size_t n, void *buf,
                      const char *what, MPI_Comm comm) {
  int status = ckpt_transfer(dset, type, buf, elem, 0, n, f->dxpl, 0, comm);
  return status ? status : ckpt_crc_check(dset, f->path, what, buf, n * elem);
}

// Reads this rank's slice, then verifies the whole array's crc32: each rank checksums
// its part of an even partition (from the slice it read when that covers the part,
// else from an extra collective read), and the parts are combined in order.
static int read_array(LoadFile *f, hid_t dset, const CheckpointArray *a, MPI_Comm comm) {
  int rank, size, status = VDMC_OK;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &size));
  float *part = NULL;
  VDMC_CHECK(ckpt_transfer(dset, H5T_NATIVE_FLOAT, a->data, sizeof(float), a->offset, a->count,
                           f->dxpl, 0, comm));
  size_t off, cnt;
  checkpoint_partition(f->head.total, rank, size, &off, &cnt);
  int covered = cnt == 0 || (off >= a->offset && off + cnt <= a->offset + a->count);
  const float *mine = covered && cnt ? a->data + (off - a->offset) : NULL;
  int need = !covered, any_need = 0;
  MPI_CHECK(MPI_Allreduce(&need, &any_need, 1, MPI_INT, MPI_MAX, comm), "checkpoint: MPI_Allreduce");
  if (any_need) {
    if (need && !(part = vdmc_alloc_floats(cnt))) {
      status = VDMC_ERR_MEMORY;
      goto cleanup;
    }
    VDMC_CHECK(ckpt_transfer(dset, H5T_NATIVE_FLOAT, part, sizeof(float), off, need ? cnt : 0,
                             f->dxpl, 0, comm));
    if (need) mine = part;
  }
  uint32_t crc = 0, stored = 0;
  VDMC_CHECK(ckpt_crc_global(comm, mine, off * sizeof(float), cnt * sizeof(float),
                             f->head.total * sizeof(float), a->name, &crc));
  VDMC_CHECK(stored_crc(dset, f->path, &stored));
  if (crc != stored) {
    char what[64];
    snprintf(what, sizeof what, "array '%s'", a->name);
    status = ckpt_crc_mismatch(f->path, what, stored, crc);
  }
cleanup:
  vdmc_free_floats(part);
  return status;
}

// Phase 2: data. Fills st only when everything verified.
static int read_data(LoadFile *f, CheckpointState *st, char **config, MPI_Comm comm) {
  int status = VDMC_OK;
  *config = calloc(f->config_len + 1, 1);
  if (!*config) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory for the config text");
  VDMC_CHECK(read_whole(f, f->config, H5T_NATIVE_CHAR, 1, f->config_len, *config, "the config text", comm));
  VDMC_CHECK(ckpt_config_check(f->path, *config, f->config_len));
  for (int i = 0; i < st->nextras; i++) {
    char what[64];
    snprintf(what, sizeof what, "extra '%s'", st->extras[i].name);
    VDMC_CHECK(read_whole(f, f->extras[i], H5T_NATIVE_DOUBLE, sizeof(double), st->extras[i].n,
                          st->extras[i].data, what, comm));
  }
  for (int i = 0; i < st->narrays; i++) VDMC_CHECK(read_array(f, f->arrays[i], &st->arrays[i], comm));
cleanup:
  return status;
}

static void close_file(LoadFile *f) {
  for (int i = 0; i < CHECKPOINT_MAX_ARRAYS; i++)
    if (f->arrays[i] >= 0) H5Dclose(f->arrays[i]);
  for (int i = 0; i < CHECKPOINT_MAX_EXTRAS; i++)
    if (f->extras[i] >= 0) H5Dclose(f->extras[i]);
  if (f->config >= 0) H5Dclose(f->config);
  if (f->file >= 0) H5Fclose(f->file);
  if (f->dxpl >= 0) H5Pclose(f->dxpl);
}

int ckpt_load_file_as(const char *path, int format_version, CheckpointState *st, MPI_Comm comm) {
  LoadFile f;
  memset(&f, 0, sizeof f);
  f.path = path;
  f.format_version = format_version;
  f.dxpl = f.file = f.config = H5I_INVALID_HID;
  for (int i = 0; i < CHECKPOINT_MAX_ARRAYS; i++) f.arrays[i] = H5I_INVALID_HID;
  for (int i = 0; i < CHECKPOINT_MAX_EXTRAS; i++) f.extras[i] = H5I_INVALID_HID;
  char *config = NULL;
  int status = mpi_agree(comm, open_and_check(&f, st, comm));
  if (!status) status = mpi_agree(comm, read_data(&f, st, &config, comm));
  close_file(&f);
  if (status) {
    free(config);
    return status;
  }
  st->step = f.head.step;
  st->images_seen = f.head.images_seen;
  st->seed = f.head.seed;
  st->world_size = f.head.world_size;
  st->config_text = config;
  snprintf(st->loaded_path, sizeof st->loaded_path, "%s", path);
  return VDMC_OK;
}

int checkpoint_load(const char *path, MPI_Comm comm, CheckpointState *st) {
  int rank, n = 0, fallback = 0;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  char (*cands)[CKPT_PATH_LEN] = NULL;
  int status = ckpt_check_same_layout(comm, st);
  if (!status) status = mpi_agree(comm, ckpt_dir_candidates(path, &cands, &n, &fallback));
  char first_error[1024] = "";
  H5E_auto2_t func;
  void *data;
  ckpt_h5_quiet_begin(&func, &data);
  int i = 0;
  for (; !status && i < n; i++) {
    status = ckpt_load_file_as(cands[i], CHECKPOINT_FORMAT_VERSION, st, comm);
    if (status == VDMC_OK || !fallback || status != VDMC_ERR_IO) break;
    if (i == 0) snprintf(first_error, sizeof first_error, "%s", vdmc_error_message());
    if (i + 1 < n) status = VDMC_OK;
  }
  ckpt_h5_quiet_end(func, data);
  if (status == VDMC_OK && i > 0 && rank == 0)
    fprintf(stderr, "vdmc: warning: newest checkpoint is broken (%s); loaded the previous complete "
            "checkpoint %s%s\n", first_error, st->loaded_path, i > 1 ? " (skipped more broken ones)" : "");
  if (status && first_error[0] && n > 1)
    status = vdmc_fail(status, "%s; no older checkpoint loads either", first_error);
  free(cands);
  return status;
}
