#include "io/h5_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/status.h"

// H5Ewalk2 visits the stack from the innermost error (n == 0) outwards when walking
// upward; the innermost description says what was wrong ("truncated file: eof =
// ...", "unable to open file: name = ..."), the outer ones only repeat the API name.
static herr_t keep_innermost(unsigned n, const H5E_error2_t *err, void *data) {
  char *out = data;
  if (n == 0 && err->desc) snprintf(out, 256, "%s", err->desc);
  return 0;
}

int h5_fail(const char *src, int line, const char *fmt, ...) {
  char reason[256] = "HDF5 call failed (empty error stack)";
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, reason);
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
