// Validation of every field a checkpoint reader takes from the file, before use:
// the root attributes, the /tensors rows, and the checksums of the small datasets.
// Shared by checkpoint_load, checkpoint_peek and checkpoint_describe so that a
// crafted or damaged file gets the same one-line error from each.
#define _POSIX_C_SOURCE 200809L  // strnlen
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

// A float array of more than 2^60 bytes cannot be on any disk; the cap keeps every
// byte count computed from `total` far from overflow.
#define CKPT_MAX_TOTAL ((uint64_t)1 << 58)

int ckpt_header_read(hid_t file, const char *path, CkptHeader *h) {
  return ckpt_header_read_as(file, path, CHECKPOINT_FORMAT_VERSION, h);
}

int ckpt_header_read_as(hid_t file, const char *path, int format_version, CkptHeader *h) {
  int status = VDMC_OK;
  memset(h, 0, sizeof *h);
  snprintf(h->written_by, sizeof h->written_by, "unknown");
  VDMC_CHECK(ckpt_attr_read(file, "format_version", H5T_NATIVE_INT32, &h->format_version, path));
  ckpt_attr_read_string(file, "vdmc_version", h->written_by, sizeof h->written_by, path);
  if (h->format_version != format_version && format_version == CHECKPOINT_FORMAT_VERSION)
    return vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s has format_version %d (written by vdmc %s) but this "
                     "vdmc reads format_version %d: load it with the vdmc version that wrote it, or "
                     "start a new run", path, (int)h->format_version, h->written_by, CHECKPOINT_FORMAT_VERSION);
  if (h->format_version != format_version)  // vdmc upgrade reading a file without a checksum record
    return vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s has format_version %d (written by vdmc %s), but a file without "
                     "a checksum record must have format_version %d: damaged, or not written by vdmc", path,
                     (int)h->format_version, h->written_by, format_version);
  VDMC_CHECK(ckpt_attr_read(file, "step", H5T_NATIVE_INT64, &h->step, path));
  VDMC_CHECK(ckpt_attr_read(file, "images_seen", H5T_NATIVE_INT64, &h->images_seen, path));
  VDMC_CHECK(ckpt_attr_read(file, "seed", H5T_NATIVE_UINT64, &h->seed, path));
  VDMC_CHECK(ckpt_attr_read(file, "world_size", H5T_NATIVE_INT32, &h->world_size, path));
  VDMC_CHECK(ckpt_attr_read(file, "total", H5T_NATIVE_UINT64, &h->total, path));
  if (h->step < 0 || h->images_seen < 0)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: attribute '%s' is %lld, expected >= 0", path,
                     h->step < 0 ? "step" : "images_seen", (long long)(h->step < 0 ? h->step : h->images_seen));
  if (h->world_size < 1)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: attribute 'world_size' is %d, expected >= 1", path,
                     (int)h->world_size);
  if (h->total < 1 || h->total > CKPT_MAX_TOTAL)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: attribute 'total' is %llu, expected 1..2^58 floats",
                     path, (unsigned long long)h->total);
cleanup:
  return status;
}

static int row_error(const char *path, size_t i, const CkptTensorRow *r, const char *why) {
  return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: /tensors row %zu ('%.*s'): %s", path, i,
                   (int)strnlen(r->name, PARAM_NAME_LEN), r->name, why);
}

int ckpt_rows_validate(const CkptTensorRow *rows, size_t n, uint64_t total, const char *path) {
  char why[200];
  uint64_t end = 0;  // end of the previous tensor: rows are in offset order, disjoint
  for (size_t i = 0; i < n; i++) {
    const CkptTensorRow *r = &rows[i];
    if (!memchr(r->name, '\0', PARAM_NAME_LEN) || !r->name[0])
      return row_error(path, i, r, "the name is empty or not NUL-terminated within its 96 bytes");
    if (r->ndim < 1 || r->ndim > PARAM_MAX_DIMS) {
      snprintf(why, sizeof why, "ndim %d, expected 1..%d", (int)r->ndim, PARAM_MAX_DIMS);
      return row_error(path, i, r, why);
    }
    if (r->decay != 0 && r->decay != 1) {
      snprintf(why, sizeof why, "decay flag %d, expected 0 or 1", (int)r->decay);
      return row_error(path, i, r, why);
    }
    uint64_t numel = 1;
    for (int d = 0; d < r->ndim; d++) {
      // numel <= total <= 2^58 after each step, so the product cannot overflow
      if (r->shape[d] < 1 || r->shape[d] > total || numel > total / r->shape[d]) {
        snprintf(why, sizeof why, "shape[%d] = %llu: the tensor is empty or larger than the %llu floats of "
                 "the flat arrays", d, (unsigned long long)r->shape[d], (unsigned long long)total);
        return row_error(path, i, r, why);
      }
      numel *= r->shape[d];
    }
    if (r->offset > total - numel) {
      snprintf(why, sizeof why, "offset %llu + %llu elements runs past the %llu floats of the flat arrays",
               (unsigned long long)r->offset, (unsigned long long)numel, (unsigned long long)total);
      return row_error(path, i, r, why);
    }
    if (r->offset < end) {
      snprintf(why, sizeof why, "offset %llu overlaps the previous tensor, which ends at %llu",
               (unsigned long long)r->offset, (unsigned long long)end);
      return row_error(path, i, r, why);
    }
    end = r->offset + numel;
  }
  return VDMC_OK;
}

int ckpt_crc_check(hid_t dset, const char *path, const char *what, const void *data, size_t bytes) {
  uint32_t stored = 0;
  int status = ckpt_attr_read(dset, "crc32", H5T_NATIVE_UINT32, &stored, path);
  if (status) return status;
  uint32_t crc = ckpt_crc_update(0, data, bytes);
  if (crc != stored) return ckpt_crc_mismatch(path, what, stored, crc);
  return VDMC_OK;
}

int ckpt_crc_mismatch(const char *path, const char *what, uint32_t stored, uint32_t computed) {
  return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is corrupt: checksum mismatch in %s (stored crc32 %08x, "
                   "data gives %08x)", path, what, stored, computed);
}

int ckpt_config_check(const char *path, const char *text, size_t len) {
  const char *nul = memchr(text, '\0', len);
  if (nul)
    return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: the config text has a NUL byte at offset %zu "
                     "(the text is stored without one)", path, (size_t)(nul - text));
  return VDMC_OK;
}

int ckpt_open_config(hid_t file, const char *path, size_t *len, hid_t *dset) {
  int status = ckpt_open_1d(file, "config", path, len, dset);
  if (status || *len <= CKPT_MAX_CONFIG_BYTES) return status;
  H5Dclose(*dset);
  *dset = H5I_INVALID_HID;
  return vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged: /config holds %zu bytes, more than the %zu a config "
                   "may have", path, *len, CKPT_MAX_CONFIG_BYTES);
}

void ckpt_format_shape(const uint64_t *shape, int ndim, char *out, size_t cap) {
  size_t used = (size_t)snprintf(out, cap, "[");
  for (int d = 0; d < ndim && d < PARAM_MAX_DIMS && used < cap; d++)
    used += (size_t)snprintf(out + used, cap - used, d ? ", %llu" : "%llu", (unsigned long long)shape[d]);
  if (used < cap) snprintf(out + used, cap - used, "]");
}

int ckpt_rows_read(hid_t file, const char *path, uint64_t total, hid_t dxpl, MPI_Comm comm, CkptTensorRow **rows,
                   size_t *n) {
  int status = VDMC_OK;
  hid_t dset = H5I_INVALID_HID, type = H5I_INVALID_HID;
  *rows = NULL;
  *n = 0;
  VDMC_CHECK(ckpt_open_1d(file, "tensors", path, n, &dset));
  VDMC_CHECK(ckpt_tensor_type(&type));
  if (!(*rows = calloc(*n ? *n : 1, sizeof **rows))) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory for %zu tensors", path, *n);
    goto cleanup;
  }
  VDMC_CHECK(ckpt_transfer(dset, type, *rows, sizeof **rows, 0, *n, dxpl, 0, comm));
  VDMC_CHECK(ckpt_rows_validate(*rows, *n, total, path));
cleanup:
  if (status) {
    free(*rows);
    *rows = NULL;
  }
  if (type >= 0) H5Tclose(type);
  if (dset >= 0) H5Dclose(dset);
  return status;
}
