// Helpers shared by the prepare converters.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/status.h"
#include "io/prepare.h"

int prepare_output_path(char *out, size_t size, const char *dir, const char *file) {
  struct stat st;
  if (stat(dir, &st) != 0) {
    int rc = fs_mkdir_p(dir);
    if (rc) return rc;
  } else if (!S_ISDIR(st.st_mode)) {
    return vdmc_fail(VDMC_ERR_INPUT, "%s: --out must be a directory", dir);
  }
  if ((size_t)snprintf(out, size, "%s/%s", dir, file) >= size)
    return vdmc_fail(VDMC_ERR_INPUT, "%s/%s: path too long", dir, file);
  return VDMC_OK;
}
