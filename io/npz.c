#include "io/npz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/input_file.h"
#include "core/status.h"

#define NPY_MAX_HEADER 65536

int npz_open(zip_t **za, const char *path) {
  int err = 0;
  *za = NULL;
  int checked = input_file_check(path, ".npz archive");
  if (checked) return checked;
  *za = zip_open(path, ZIP_RDONLY, &err);
  if (*za) return VDMC_OK;
  zip_error_t ze;
  zip_error_init_with_code(&ze, err);
  int status = vdmc_fail(VDMC_ERR_IO, "%s: cannot open as .npz (zip): %s", path, zip_error_strerror(&ze));
  zip_error_fini(&ze);
  return status;
}

static int read_exact(NpyStream *s, void *buf, size_t bytes, const char *what) {
  zip_int64_t got = zip_fread(s->f, buf, bytes);
  if (got < 0)
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: corrupt while reading %s: %s", s->path, s->member, what,
                     zip_error_strerror(zip_file_get_error(s->f)));
  if ((size_t)got != bytes)
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: truncated while reading %s", s->path, s->member, what);
  return VDMC_OK;
}

// Finds "'key':" in the header dict and returns a pointer just after it, or NULL.
static const char *dict_value(const char *header, const char *key) {
  char pattern[40];
  snprintf(pattern, sizeof pattern, "'%s':", key);
  const char *p = strstr(header, pattern);
  if (!p) return NULL;
  p += strlen(pattern);
  while (*p == ' ') p++;
  return p;
}

static int parse_header(NpyStream *s, const char *h) {
  const char *descr = dict_value(h, "descr"), *order = dict_value(h, "fortran_order"),
             *shape = dict_value(h, "shape");
  if (!descr || !order || !shape || *descr != '\'' || *shape != '(')
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: malformed .npy header: %.80s", s->path, s->member, h);
  char kind = 0, endian = descr[1];
  unsigned size = 0;
  // endian first: at the header's end descr[1] is its NUL and descr + 2 lies past it.
  if ((endian != '<' && endian != '|') || sscanf(descr + 2, "%c%u'", &kind, &size) != 2 ||
      (kind != 'u' && kind != 'i') || (size != 1 && size != 2 && size != 4 && size != 8) ||
      (endian == '|' && size != 1))
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: dtype %.6s is not a little-endian integer type", s->path, s->member,
                     descr);
  if (strncmp(order, "False", 5))
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: fortran_order arrays are not supported", s->path, s->member);
  unsigned long long dims[3] = {0, 1, 0};
  int nd = 0;
  const char *p = shape + 1;
  while (nd < 3) {
    char *end;
    while (*p == ' ') p++;
    if (*p == ')') break;
    if (*p < '0' || *p > '9') break;  // strtoull would take "-1" as 2^64 - 1
    dims[nd++] = strtoull(p, &end, 10);
    p = end;
    while (*p == ' ' || *p == ',') p++;
  }
  if (*p != ')' || nd < 1 || nd > 2)
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: shape %.40s is not 1-D or 2-D", s->path, s->member, shape);
  // The whole array's byte count must be a size_t: readers multiply rows by the row size.
  if (dims[1] && dims[0] > SIZE_MAX / dims[1] / size)
    return vdmc_fail(VDMC_ERR_IO, "%s: %s: shape %.40s is too large", s->path, s->member, shape);
  s->rows = dims[0];
  s->cols = nd == 2 ? dims[1] : 1;
  s->elem_size = size;
  s->is_signed = kind == 'i';
  return VDMC_OK;
}

int npy_open(NpyStream *s, zip_t *za, const char *path, const char *name) {
  memset(s, 0, sizeof *s);
  s->path = path;
  snprintf(s->member, sizeof s->member, "%s.npy", name);
  s->f = zip_fopen(za, s->member, 0);
  if (!s->f)
    return vdmc_fail(VDMC_ERR_IO, "%s: no array '%s' in the archive (%s)", path, name,
                     zip_error_strerror(zip_get_error(za)));
  unsigned char pre[10];
  char *header = NULL;
  int status = read_exact(s, pre, 10, "the .npy preamble");
  if (!status && memcmp(pre, "\x93NUMPY", 6))
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s: bad .npy magic (not a NumPy array)", path, s->member);
  size_t len = 0;
  if (!status) {
    unsigned char ext[2];
    if (pre[6] == 1) {
      len = pre[8] | (size_t)pre[9] << 8;
    } else if (pre[6] == 2 || pre[6] == 3) {
      status = read_exact(s, ext, 2, "the .npy header length");
      len = pre[8] | (size_t)pre[9] << 8 | (size_t)ext[0] << 16 | (size_t)ext[1] << 24;
    } else {
      status = vdmc_fail(VDMC_ERR_IO, "%s: %s: .npy version %d.%d not supported (1.0-3.0)", path, s->member,
                         pre[6], pre[7]);
    }
  }
  if (!status && len > NPY_MAX_HEADER)
    status = vdmc_fail(VDMC_ERR_IO, "%s: %s: .npy header of %zu bytes is implausible", path, s->member, len);
  if (!status && !(header = calloc(len + 1, 1)))
    status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  if (!status) status = read_exact(s, header, len, "the .npy header");
  if (!status) status = parse_header(s, header);
  free(header);
  if (status) npy_close(s);
  return status;
}

int npy_read_rows(NpyStream *s, void *buf, size_t count) {
  return read_exact(s, buf, count * s->cols * s->elem_size, "the array data");
}

int64_t npy_element(const NpyStream *s, const void *buf, size_t i) {
  const unsigned char *p = (const unsigned char *)buf + i * s->elem_size;
  uint64_t u = 0;
  for (size_t b = 0; b < s->elem_size; b++) u |= (uint64_t)p[b] << (8 * b);
  if (s->is_signed && s->elem_size < 8 && (u >> (8 * s->elem_size - 1)) & 1) u |= ~0ull << (8 * s->elem_size);
  return (int64_t)u;
}

void npy_close(NpyStream *s) {
  if (s->f) zip_fclose(s->f);
  s->f = NULL;
}
