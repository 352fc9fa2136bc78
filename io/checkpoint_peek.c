// checkpoint_peek: the config text and one extra array of a checkpoint, read serially.
// Both are checked against their crc32 before they are returned: the caller builds
// a model or prints a schedule from them.
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

// Reads the whole 1-D dataset `ds` of n elements (+1 zeroed: room for a NUL after
// text) and verifies its crc32.
static int read_checked(hid_t ds, size_t n, const char *path, const char *what, hid_t type, size_t esize,
                        void **out) {
  int status = VDMC_OK;
  *out = calloc(n + 1, esize);
  if (!*out) return vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory for %s", path, what);
  if (n) H5_CHECK(H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out), "checkpoint %s: reading %s", path, what);
  status = ckpt_crc_check(ds, path, what, *out, n * esize);
cleanup:
  if (status) {
    free(*out);
    *out = NULL;
  }
  return status;
}

static int peek_file(hid_t file, const char *path, char **config_text, const char *extra, double **values,
                     size_t *n) {
  int status = VDMC_OK;
  hid_t ds = H5I_INVALID_HID;
  CkptHeader h;
  size_t len = 0;
  VDMC_CHECK(ckpt_header_read(file, path, &h));
  VDMC_CHECK(ckpt_open_config(file, path, &len, &ds));
  VDMC_CHECK(read_checked(ds, len, path, "the config text", H5T_NATIVE_CHAR, 1, (void **)config_text));
  VDMC_CHECK(ckpt_config_check(path, *config_text, len));
  H5Dclose(ds);
  ds = H5I_INVALID_HID;
  if (!extra) goto cleanup;
  char name[64], what[96];
  snprintf(name, sizeof name, "extras/%s", extra);
  snprintf(what, sizeof what, "extra '%s'", extra);
  if (H5Lexists(file, "extras", H5P_DEFAULT) <= 0 || H5Lexists(file, name, H5P_DEFAULT) <= 0) goto cleanup;
  VDMC_CHECK(ckpt_open_1d(file, name, path, n, &ds));
  VDMC_CHECK(read_checked(ds, *n, path, what, H5T_NATIVE_DOUBLE, sizeof(double), (void **)values));
cleanup:
  if (ds >= 0) H5Dclose(ds);
  return status;
}

int checkpoint_peek(const char *path, char **config_text, const char *extra, double **values,
                    size_t *n, char *resolved_path) {
  char(*cands)[CKPT_PATH_LEN] = NULL;
  int ncand = 0, fallback = 0, status = VDMC_OK;
  hid_t file = H5I_INVALID_HID;
  H5E_auto2_t func;
  void *data;
  *config_text = NULL;
  if (values) *values = NULL;
  if (n) *n = 0;
  VDMC_CHECK(ckpt_dir_candidates(path, &cands, &ncand, &fallback));
  if (ncand == 0) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: no checkpoint found", path);
    goto cleanup;
  }
  ckpt_h5_quiet_begin(&func, &data);
  status = ckpt_file_open(cands[0], MPI_COMM_NULL, &file);
  if (!status) {
    snprintf(resolved_path, CKPT_PATH_LEN, "%s", cands[0]);
    status = peek_file(file, cands[0], config_text, extra, values, n);
  }
  ckpt_h5_quiet_end(func, data);
cleanup:
  if (file >= 0) H5Fclose(file);
  free(cands);
  if (status) {
    free(*config_text);
    *config_text = NULL;
    if (values) {
      free(*values);
      *values = NULL;
    }
    if (n) *n = 0;
  }
  return status;
}
