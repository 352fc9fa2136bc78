// checkpoint_save: every rank writes its slices of the flat arrays into one file with
// collective parallel HDF5, then the commit protocol (docs/design.md, Files are committed) makes it visible:
// write step-N.h5.tmp, close on all ranks, agree on success, rank 0 fsyncs and renames
// it, fsyncs the directory, replaces `latest`, and only then deletes old files.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/file_record.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "mpi/agree.h"

#ifndef VDMC_VERSION
#define VDMC_VERSION "unknown"
#endif

// What every rank writes identically (attributes): rank 0's values, broadcast.
typedef struct {
  int64_t step, images_seen;
  uint64_t seed, total, config_len;
  int32_t world_size, format_version;
  uint32_t config_crc;
  uint32_t array_crc[CHECKPOINT_MAX_ARRAYS];
  uint32_t extra_crc[CHECKPOINT_MAX_EXTRAS];
} SaveHeader;

static int make_header(const CheckpointState *st, MPI_Comm comm, SaveHeader *h) {
  int rank, size, status = VDMC_OK;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  MPI_TRY(MPI_Comm_size(comm, &size));
  memset(h, 0, sizeof *h);
  h->step = st->step;
  h->images_seen = st->images_seen;
  h->seed = st->seed;
  h->total = st->table->total;
  h->world_size = st->stored_world_size > 0 ? st->stored_world_size : size;
  h->format_version = CHECKPOINT_FORMAT_VERSION;
  if (rank == 0) {
    h->config_len = st->config_text ? strlen(st->config_text) : 0;
    h->config_crc = ckpt_crc_update(0, st->config_text, h->config_len);
    for (int i = 0; i < st->nextras; i++)
      h->extra_crc[i] = ckpt_crc_update(0, st->extras[i].data, st->extras[i].n * sizeof(double));
  }
  MPI_CHECK(MPI_Bcast(h, (int)sizeof *h, MPI_BYTE, 0, comm), "checkpoint: MPI_Bcast");
  for (int i = 0; i < st->narrays && !status; i++) {
    const CheckpointArray *a = &st->arrays[i];
    status = ckpt_crc_global(comm, a->data, a->offset * sizeof(float), a->count * sizeof(float),
                             st->table->total * sizeof(float), a->name, &h->array_crc[i]);
  }
cleanup:
  return status;
}

static int write_root_attrs(hid_t file, const SaveHeader *h) {
  int status = VDMC_OK;
  VDMC_CHECK(ckpt_attr_write(file, "format_version", H5T_NATIVE_INT32, &h->format_version));
  VDMC_CHECK(ckpt_attr_write_string(file, "vdmc_version", VDMC_VERSION));
  VDMC_CHECK(ckpt_attr_write_string(file, VDMC_KIND_ATTR, CHECKPOINT_KIND));  // for vdmc info
  VDMC_CHECK(ckpt_attr_write(file, "step", H5T_NATIVE_INT64, &h->step));
  VDMC_CHECK(ckpt_attr_write(file, "images_seen", H5T_NATIVE_INT64, &h->images_seen));
  VDMC_CHECK(ckpt_attr_write(file, "seed", H5T_NATIVE_UINT64, &h->seed));
  VDMC_CHECK(ckpt_attr_write(file, "world_size", H5T_NATIVE_INT32, &h->world_size));
  VDMC_CHECK(ckpt_attr_write(file, "total", H5T_NATIVE_UINT64, &h->total));
cleanup:
  return status;
}

// Creates loc/name of n elements, writes this rank's [offset, offset+count) from buf
// collectively and attaches the crc32 attribute (crc == NULL: none).
static int write_dataset(hid_t loc, const char *name, hid_t type, size_t elem, size_t n,
                         const void *buf, size_t offset, size_t count, const uint32_t *crc,
                         hid_t dxpl, MPI_Comm comm) {
  int status = VDMC_OK;
  hid_t dset = H5I_INVALID_HID;
  VDMC_CHECK(ckpt_create_1d(loc, name, type, n, &dset));
  VDMC_CHECK(ckpt_transfer(dset, type, (void *)buf, elem, offset, count, dxpl, 1, comm));
  if (crc) VDMC_CHECK(ckpt_attr_write(dset, "crc32", H5T_NATIVE_UINT32, crc));
cleanup:
  if (dset >= 0) H5Dclose(dset);
  return status;
}

static int write_tensors(hid_t file, const ParamTable *t, int rank, hid_t dxpl, MPI_Comm comm) {
  int status = VDMC_OK;
  hid_t type = H5I_INVALID_HID;
  CkptTensorRow *rows = calloc(t->count ? t->count : 1, sizeof *rows);
  if (!rows) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory for the tensor table");
  for (size_t i = 0; i < t->count; i++) {
    const ParamInfo *p = &t->items[i];
    snprintf(rows[i].name, sizeof rows[i].name, "%s", p->name);
    rows[i].offset = p->offset;
    rows[i].ndim = p->ndim;
    rows[i].decay = p->decay;
    for (int d = 0; d < p->ndim; d++) rows[i].shape[d] = p->shape[d];
  }
  VDMC_CHECK(ckpt_tensor_type(&type));
  VDMC_CHECK(write_dataset(file, "tensors", type, sizeof *rows, t->count, rows, 0,
                           rank == 0 ? t->count : 0, NULL, dxpl, comm));
cleanup:
  if (type >= 0) H5Tclose(type);
  free(rows);
  return status;
}

static int write_file(const char *path, const CheckpointState *st, const SaveHeader *h, unsigned create_flags,
                      MPI_Comm comm) {
  int rank, status = VDMC_OK;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  hid_t fapl = H5I_INVALID_HID, fcpl = H5I_INVALID_HID, dxpl = H5I_INVALID_HID, file = H5I_INVALID_HID;
  hid_t arrays = H5I_INVALID_HID, extras = H5I_INVALID_HID;
  VDMC_CHECK(ckpt_fapl_create(comm, &fapl));
  VDMC_CHECK(ckpt_dxpl_collective(&dxpl));
  // The userblock HDF5 skips holds the whole-file checksum record, written after close.
  H5_CHECK(fcpl = H5Pcreate(H5P_FILE_CREATE), "checkpoint: H5Pcreate");
  H5_CHECK(H5Pset_userblock(fcpl, FILE_RECORD_BYTES), "checkpoint: H5Pset_userblock");
  H5_CHECK(file = H5Fcreate(path, create_flags, fcpl, fapl), "checkpoint: H5Fcreate");
  VDMC_CHECK(write_root_attrs(file, h));
  VDMC_CHECK(write_tensors(file, st->table, rank, dxpl, comm));
  size_t mine = rank == 0 ? h->config_len : 0;
  VDMC_CHECK(write_dataset(file, "config", H5T_NATIVE_CHAR, 1, h->config_len, st->config_text, 0,
                           mine, &h->config_crc, dxpl, comm));
  H5_CHECK(extras = H5Gcreate2(file, "extras", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "checkpoint: H5Gcreate2");
  for (int i = 0; i < st->nextras; i++) {
    const CheckpointExtra *e = &st->extras[i];
    VDMC_CHECK(write_dataset(extras, e->name, H5T_NATIVE_DOUBLE, sizeof(double), e->n, e->data, 0,
                             rank == 0 ? e->n : 0, &h->extra_crc[i], dxpl, comm));
  }
  H5_CHECK(arrays = H5Gcreate2(file, "arrays", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "checkpoint: H5Gcreate2");
  for (int i = 0; i < st->narrays; i++) {
    const CheckpointArray *a = &st->arrays[i];
    VDMC_CHECK(write_dataset(arrays, a->name, H5T_NATIVE_FLOAT, sizeof(float), h->total, a->data,
                             a->offset, a->count, &h->array_crc[i], dxpl, comm));
  }
  ckpt_test_pause("after_write", rank);
cleanup:
  if (arrays >= 0) H5Gclose(arrays);
  if (extras >= 0) H5Gclose(extras);
  if (file >= 0 && H5Fclose(file) < 0 && status == VDMC_OK)
    status = h5_fail(__FILE__, __LINE__, "checkpoint: H5Fclose");
  if (dxpl >= 0) H5Pclose(dxpl);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (fapl >= 0) H5Pclose(fapl);
  return status;
}

// A failed write names the file and, when the file system cannot hold the checkpoint,
// says so: HDF5 reports a full disk under MPI-IO only as "file write failed", and
// errno is gone by then.
static int explain_write_failure(int status, const char *tmp, const char *dir, const CheckpointState *st,
                                 const SaveHeader *h) {
  uint64_t need = (uint64_t)st->narrays * h->total * sizeof(float) + h->config_len + 65536;
  for (int i = 0; i < st->nextras; i++) need += st->extras[i].n * sizeof(double);
  struct statvfs vfs;
  if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < need)
    return vdmc_fail(status, "%s: %s; no space left on device: the file system has %llu bytes free, a checkpoint "
                     "needs about %llu", tmp, vdmc_error_message(),
                     (unsigned long long)vfs.f_bavail * vfs.f_frsize, (unsigned long long)need);
  return vdmc_fail(status, "%s: %s", tmp, vdmc_error_message());
}

int checkpoint_write_file(const char *tmp, const CheckpointState *st, int exclusive, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  char dir[CKPT_PATH_LEN];
  const char *slash = strrchr(tmp, '/');
  snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - tmp) : 1, slash ? tmp : ".");
  H5E_auto2_t func;
  void *data;
  ckpt_h5_quiet_begin(&func, &data);
  SaveHeader h;
  int status = ckpt_check_same_layout(comm, st);
  if (!status) status = mpi_agree(comm, make_header(st, comm, &h));
  if (!status) {
    status = write_file(tmp, st, &h, exclusive ? H5F_ACC_EXCL : H5F_ACC_TRUNC, comm);
    if (status) status = explain_write_failure(status, tmp, dir, st, &h);
    status = mpi_agree(comm, status);
  }
  // Rank 0 reads the closed file back once and writes its checksum record, before the
  // commit fsyncs and renames it (docs/checkpoints.md, "Checksum record": measured at
  // 7% of a save, so splitting the pass across ranks would gain little).
  if (!status) status = mpi_agree(comm, rank == 0 ? file_record_seal(tmp, FILE_KIND_CHECKPOINT, FILE_RECORD_BYTES, NULL, 0) : VDMC_OK);
  ckpt_h5_quiet_end(func, data);
  if (status && rank == 0) unlink(tmp);  // nothing was committed; the previous file stands
  return status;
}

int checkpoint_save(const char *run_dir, const CheckpointState *st, int keep, MPI_Comm comm) {
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  if (keep < 1) return vdmc_fail(VDMC_ERR_INPUT, "checkpoint: keep must be >= 1, got %d", keep);
  char dir[CKPT_PATH_LEN], name[CKPT_PATH_LEN], tmp[2 * CKPT_PATH_LEN + 8];
  ckpt_dir_of(run_dir, dir);
  ckpt_file_name(st->step, name);
  snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
  int status = rank == 0 ? fs_mkdir_p(dir) : VDMC_OK;
  status = mpi_agree(comm, status);
  if (!status) status = checkpoint_write_file(tmp, st, 0, comm);  // replaces a crashed save's temporary
  if (status) return status;
  ckpt_test_pause("before_rename", rank);
  if (rank == 0) status = ckpt_dir_commit(dir, tmp, st->step, keep);
  return mpi_agree(comm, status);
}
