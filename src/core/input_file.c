#define _POSIX_C_SOURCE 200809L  // stat, access
#include "core/input_file.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/output_file.h"
#include "core/status.h"

static const char *kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

int input_file_check_unrecorded(const char *path, const char *what) {
  struct stat st;
  if (!path || !*path) return vdmc_fail(VDMC_ERR_INPUT, "%s: empty path", what);
  if (stat(path, &st) != 0)
    return vdmc_fail(VDMC_ERR_IO, "%s: cannot open %s: %s", path, what, strerror(errno));
  if (!S_ISREG(st.st_mode))
    return vdmc_fail(VDMC_ERR_IO, "%s: cannot read the %s: it is %s, not a regular file", path, what,
                     kind_of(st.st_mode));
  // access() checks the real uid; good enough for a clear message before the open,
  // which still reports its own error if permissions change in between.
  if (access(path, R_OK) != 0)
    return vdmc_fail(VDMC_ERR_IO, "%s: cannot read the %s: %s", path, what, strerror(errno));
  return VDMC_OK;
}

int input_file_check(const char *path, const char *what) {
  int rc = input_file_check_unrecorded(path, what);
  if (!rc) output_note_input(path);
  return rc;
}
