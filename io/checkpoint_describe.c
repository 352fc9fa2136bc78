// checkpoint_describe: a human-readable summary of one checkpoint for `vdmc info`,
// recomputing every checksum. Serial: opens the file with the sec2 driver.
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

#define DESCRIBE_PIECE ((size_t)1 << 20)  // elements read per piece while checksumming

typedef struct {
  FILE *out;
  hid_t memtype;
  size_t elem;
  const char *kind;   // "float32" / "float64"
  const char *label;  // "array" / "extra": how errors name a member of the group
  size_t want_n;      // required length (the flat arrays: total), 0 for any
  const char *path;
  int bad;            // checksum mismatches seen
  char first_bad[96]; // the first of them, as the loader names it
  int status;
} DescribeWalk;

// Prints "name kind[n] crc32 STORED ok|MISMATCH (data gives X)" for one dataset.
static int describe_dataset(hid_t loc, const char *name, DescribeWalk *w) {
  int status = VDMC_OK;
  hid_t dset = H5I_INVALID_HID;
  size_t n = 0;
  uint32_t stored = 0, crc = 0;
  void *buf = malloc(DESCRIBE_PIECE * w->elem);
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint: out of memory");
  VDMC_CHECK(ckpt_open_1d(loc, name, w->path, &n, &dset));
  if (w->want_n && n != w->want_n) {
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: %s '%s' has %zu elements but the 'total' attribute "
                       "says %zu", w->path, w->label, name, n, w->want_n);
    goto cleanup;
  }
  VDMC_CHECK(ckpt_attr_read(dset, "crc32", H5T_NATIVE_UINT32, &stored, w->path));
  for (size_t at = 0; at < n; at += DESCRIBE_PIECE) {
    size_t cnt = n - at < DESCRIBE_PIECE ? n - at : DESCRIBE_PIECE;
    VDMC_CHECK(ckpt_transfer(dset, w->memtype, buf, w->elem, at, cnt, H5P_DEFAULT, 0, MPI_COMM_NULL));
    crc = ckpt_crc_update(crc, buf, cnt * w->elem);
  }
  fprintf(w->out, "  %-24s %s[%zu]  crc32 %08x %s", name, w->kind, n, stored, crc == stored ? "ok" : "MISMATCH");
  if (crc != stored) fprintf(w->out, " (data gives %08x)", crc);
  fprintf(w->out, "\n");
  if (crc != stored && !w->bad++) {
    if (w->label) snprintf(w->first_bad, sizeof w->first_bad, "%s '%.64s'", w->label, name);
    else snprintf(w->first_bad, sizeof w->first_bad, "the config text");
  }
cleanup:
  if (dset >= 0) H5Dclose(dset);
  free(buf);
  return status;
}

static herr_t describe_member(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  DescribeWalk *w = data;
  w->status = describe_dataset(group, name, w);
  return w->status ? -1 : 0;
}

static int describe_group(hid_t file, const char *group, DescribeWalk *w) {
  int status = VDMC_OK;
  hid_t g = H5I_INVALID_HID;
  fprintf(w->out, "%s:\n", group);
  H5_CHECK(g = H5Gopen2(file, group, H5P_DEFAULT), "checkpoint: H5Gopen2");
  w->status = VDMC_OK;
  if (H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, NULL, describe_member, w) < 0)
    status = w->status ? w->status : h5_fail(__FILE__, __LINE__, "checkpoint: H5Literate");
cleanup:
  if (g >= 0) H5Gclose(g);
  return status;
}

static int describe_tensors(hid_t file, const char *path, uint64_t total, FILE *out) {
  int status = VDMC_OK;
  size_t n = 0;
  CkptTensorRow *rows = NULL;
  VDMC_CHECK(ckpt_rows_read(file, path, total, H5P_DEFAULT, MPI_COMM_NULL, &rows, &n));
  uint64_t numel = 0;  // <= total: validated rows do not overlap
  for (size_t i = 0; i < n; i++) {
    uint64_t k = 1;
    for (int d = 0; d < rows[i].ndim; d++) k *= rows[i].shape[d];
    numel += k;
  }
  fprintf(out, "tensors: %zu (%llu parameters)\n", n, (unsigned long long)numel);
  for (size_t i = 0; i < n; i++) {
    fprintf(out, "  %-40s offset %-10llu shape [", rows[i].name, (unsigned long long)rows[i].offset);
    for (int d = 0; d < rows[i].ndim; d++)
      fprintf(out, d ? ", %llu" : "%llu", (unsigned long long)rows[i].shape[d]);
    fprintf(out, "]\n");
  }
cleanup:
  free(rows);
  return status;
}

static int describe_file(const char *path, FILE *out) {
  int status = VDMC_OK;
  hid_t file = H5I_INVALID_HID;
  VDMC_CHECK(ckpt_file_open(path, MPI_COMM_NULL, &file));
  CkptHeader h;
  VDMC_CHECK(ckpt_header_read(file, path, &h));
  fprintf(out, "checkpoint %s\nformat_version: %d (written by vdmc %s)\n", path, (int)h.format_version,
          h.written_by);
  fprintf(out, "step: %lld\nimages_seen: %lld\nseed: %llu\nworld_size: %d\nflat array length: %llu floats\n",
          (long long)h.step, (long long)h.images_seen, (unsigned long long)h.seed, (int)h.world_size,
          (unsigned long long)h.total);
  VDMC_CHECK(describe_tensors(file, path, h.total, out));
  DescribeWalk w = {out, H5T_NATIVE_FLOAT, sizeof(float), "float32", "array", (size_t)h.total, path, 0, "", VDMC_OK};
  VDMC_CHECK(describe_group(file, "arrays", &w));
  w.memtype = H5T_NATIVE_DOUBLE, w.elem = sizeof(double), w.kind = "float64", w.label = "extra", w.want_n = 0;
  VDMC_CHECK(describe_group(file, "extras", &w));
  w.memtype = H5T_NATIVE_CHAR, w.elem = 1, w.kind = "bytes", w.label = NULL;
  fprintf(out, "config text:\n");
  VDMC_CHECK(describe_dataset(file, "config", &w));
  if (w.bad)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is corrupt: checksum mismatch in %s%s", path, w.first_bad,
                       w.bad > 1 ? " and more (see above)" : "");
cleanup:
  if (file >= 0) H5Fclose(file);
  return status;
}

int checkpoint_describe(const char *path, FILE *out) {
  char (*cands)[CKPT_PATH_LEN] = NULL;
  int n = 0, fallback = 0;
  int status = ckpt_dir_candidates(path, &cands, &n, &fallback);
  if (!status) {
    H5E_auto2_t func;
    void *data;
    ckpt_h5_quiet_begin(&func, &data);
    status = describe_file(cands[0], out);
    ckpt_h5_quiet_end(func, data);
  }
  free(cands);
  return status;
}
