// checkpoint_peek: the config text and one extra array of a checkpoint, read serially.
#include <stdlib.h>
#include <string.h>

#include "core/input_file.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

static int read_1d(hid_t file, const char *name, const char *path, hid_t type, size_t esize, void **out,
                   size_t *n) {
  int status = VDMC_OK;
  hid_t ds = H5I_INVALID_HID;
  VDMC_CHECK(ckpt_open_1d(file, name, path, n, &ds));
  *out = calloc(*n + 1, esize);  // +1: room for a NUL after text
  if (!*out) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory", path);
    goto cleanup;
  }
  if (*n) H5_CHECK(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out), "checkpoint: H5Dread");
cleanup:
  if (ds >= 0) H5Dclose(ds);
  if (status) {
    free(*out);
    *out = NULL;
  }
  return status;
}

int checkpoint_peek(const char *path, char **config_text, const char *extra, double **values,
                    size_t *n, char *resolved_path) {
  char(*cands)[CKPT_PATH_LEN] = NULL;
  int ncand = 0, fallback = 0, status = VDMC_OK;
  hid_t file = H5I_INVALID_HID;
  *config_text = NULL;
  if (values) *values = NULL;
  if (n) *n = 0;
  VDMC_CHECK(ckpt_dir_candidates(path, &cands, &ncand, &fallback));
  if (ncand == 0) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: no checkpoint found", path);
    goto cleanup;
  }
  VDMC_CHECK(input_file_check(cands[0], "checkpoint"));
  H5E_auto2_t func;
  void *data;
  ckpt_h5_quiet_begin(&func, &data);
  file = H5Fopen(cands[0], H5F_ACC_RDONLY, H5P_DEFAULT);
  ckpt_h5_quiet_end(func, data);
  if (file < 0) {
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s cannot be opened (truncated or not HDF5?)", cands[0]);
    goto cleanup;
  }
  snprintf(resolved_path, CKPT_PATH_LEN, "%s", cands[0]);
  size_t len;
  VDMC_CHECK(read_1d(file, "config", cands[0], H5T_NATIVE_CHAR, 1, (void **)config_text, &len));
  if (extra) {
    char name[64];
    snprintf(name, sizeof name, "extras/%s", extra);
    htri_t has = H5Lexists(file, "extras", H5P_DEFAULT) > 0 ? H5Lexists(file, name, H5P_DEFAULT) : 0;
    if (has > 0) VDMC_CHECK(read_1d(file, name, cands[0], H5T_NATIVE_DOUBLE, sizeof(double), (void **)values, n));
  }
cleanup:
  if (file >= 0) H5Fclose(file);
  free(cands);
  if (status) {
    free(*config_text);
    *config_text = NULL;
  }
  return status;
}
