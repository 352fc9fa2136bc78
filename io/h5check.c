// Failure reporting for H5_CHECK / MPI_CHECK (io/h5check.h): one line with the
// call site, the call text, and the library's own words.
#include "io/h5check.h"

#include <stdio.h>
#include <string.h>

#include "core/status.h"

typedef struct {
  char outer[256];  // the API function that failed and its message
  char inner[256];  // the innermost (most specific) message on the stack
  int depth;
} H5ErrorWalk;

static herr_t collect_error(unsigned n, const H5E_error2_t *err, void *data) {
  H5ErrorWalk *w = data;
  const char *desc = err->desc ? err->desc : "";
  if (n == 0) snprintf(w->outer, sizeof w->outer, "%s: %s", err->func_name, desc);
  snprintf(w->inner, sizeof w->inner, "%s", desc);
  w->depth = (int)n + 1;
  return 0;
}

int h5check_fail(const char *file, int line, const char *call) {
  H5ErrorWalk w;
  memset(&w, 0, sizeof w);
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &w);
  if (w.depth == 0)
    return vdmc_fail(VDMC_ERR_IO, "%s:%d: %s failed (HDF5 left no error message)", file, line, call);
  if (w.depth == 1 || strcmp(w.inner, w.outer) == 0)
    return vdmc_fail(VDMC_ERR_IO, "%s:%d: %s failed: HDF5 %s", file, line, call, w.outer);
  return vdmc_fail(VDMC_ERR_IO, "%s:%d: %s failed: HDF5 %s (%s)", file, line, call, w.outer, w.inner);
}

int h5check_mpi_fail(const char *file, int line, const char *call, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) snprintf(text, sizeof text, "error code %d", code);
  return vdmc_fail(VDMC_ERR_MPI, "%s:%d: %s failed: MPI %s", file, line, call, text);
}
