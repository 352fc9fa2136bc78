#define _POSIX_C_SOURCE 200809L  // mkdir, stat
#include "core/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

int fs_read_file(const char *path, unsigned char **data, size_t *len, size_t max_bytes) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  int rc = VDMC_OK;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
    rc = vdmc_fail(VDMC_ERR_IO, "%s: not a regular file", path);
  else if ((unsigned long long)st.st_size > max_bytes)
    rc = vdmc_fail(VDMC_ERR_IO, "%s: %lld bytes, more than the %zu expected", path, (long long)st.st_size, max_bytes);
  else if (!(*data = malloc(st.st_size ? (size_t)st.st_size : 1)))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for %lld bytes", path, (long long)st.st_size);
  else if (fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
    rc = vdmc_fail(VDMC_ERR_IO, "%s: read failed: %s", path, ferror(f) ? strerror(errno) : "the file shrank");
  fclose(f);
  if (rc) {
    free(*data);
    *data = NULL;
  } else {
    *len = (size_t)st.st_size;
  }
  return rc;
}

int fs_same_file(const char *a, const char *b) {
  struct stat x, y;
  return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}
