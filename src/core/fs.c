#define _POSIX_C_SOURCE 200809L  // mkdir, stat
#include "core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/status.h"

int fs_mkdir_p(const char *path) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return vdmc_fail(VDMC_ERR_INPUT, "%s: path too long", path);
  for (char *p = buf + 1;; p++) {
    char c = *p;
    if (c != '/' && c != '\0') continue;
    *p = '\0';
    struct stat st;
    if (stat(buf, &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return vdmc_fail(VDMC_ERR_IO, "%s: exists and is not a directory", buf);
    } else if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
      return vdmc_fail(VDMC_ERR_IO, "%s: cannot create directory: %s", buf, strerror(errno));
    }
    *p = c;
    if (c == '\0') break;
  }
  return VDMC_OK;
}
