#include "io/h5_check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

enum { H5_REASON_LEN = 256 };

// H5Ewalk2 visits the stack from the innermost error (n == 0) outwards when walking
// upward; the innermost description says what was wrong ("truncated file: eof =
// ...", "unable to open file: name = ..."), the outer ones only repeat the API name.
// The sec2 driver's descriptions run over several lines ("file write failed: time =
// <ctime>\n, filename = ..., errno = 28, error message = 'No space left on device',
// buf = 0x..., ..."): keep what failed and the system's message, on one line.
static herr_t keep_innermost(unsigned n, const H5E_error2_t *err, void *data) {
  char *out = data;
  if (n != 0 || !err->desc) return 0;
  const char *sys = strstr(err->desc, "error message = '");
  const char *colon = strchr(err->desc, ':');
  if (sys && colon) {
    sys += strlen("error message = '");
    snprintf(out, H5_REASON_LEN, "%.*s: %.*s", (int)(colon - err->desc), err->desc, (int)strcspn(sys, "'"), sys);
  } else {
    snprintf(out, H5_REASON_LEN, "%s", err->desc);
  }
  for (char *p = out; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  return 0;
}

// The system's reason behind a failed write, which HDF5's stack does not keep ("file
// write failed" says nothing of a full disk). Only errors a write or sync can leave
// are trusted: errno is not reset by successful calls, so an older ENOENT from a
// stat would be misleading, while a stale ENOSPC cannot come from anything but I/O.
static const char *storage_errno(int e) {
  return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || e == EROFS ? strerror(e) : NULL;
}

int h5_fail(const char *src, int line, const char *fmt, ...) {
  const char *sys = storage_errno(errno);
  char reason[H5_REASON_LEN + 64] = "HDF5 call failed (empty error stack)";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, reason);
  if (sys && !strstr(reason, sys)) snprintf(reason + strlen(reason), sizeof reason - strlen(reason), ": %s", sys);
  H5Eclear2(H5E_DEFAULT);
  va_list ap;
  va_start(ap, fmt);
  int status = vdmc_fail_library(VDMC_ERR_IO, reason, src, line, fmt, ap);
  va_end(ap);
  return status;
}

void h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

void h5_close_id(hid_t id) {
  if (id < 0) return;
  switch (H5Iget_type(id)) {
    case H5I_FILE: H5Fclose(id); break;
    case H5I_DATASET: H5Dclose(id); break;
    case H5I_DATASPACE: H5Sclose(id); break;
    case H5I_DATATYPE: H5Tclose(id); break;
    case H5I_ATTR: H5Aclose(id); break;
    case H5I_GROUP: H5Gclose(id); break;
    case H5I_GENPROP_LST: H5Pclose(id); break;
    default: break;
  }
}
