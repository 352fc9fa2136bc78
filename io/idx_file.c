#define _POSIX_C_SOURCE 200809L  // stat in C11 mode
#include "io/idx_file.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "core/input_file.h"
#include "core/status.h"

#define IDX_UBYTE_MAGIC 0x00000800u  // + number of dimensions in the low byte
#define IDX_LABEL_BLOCK 65536

int idx_read(gzFile f, const char *path, void *buf, size_t bytes, const char *what) {
  int got = gzread(f, buf, (unsigned)bytes);
  if (got < 0 || (size_t)got != bytes) {
    int zerr = 0;
    const char *msg = gzerror(f, &zerr);
    return vdmc_fail(VDMC_ERR_IO, "%s: truncated or corrupt while reading %s (%s)", path, what,
                     zerr ? msg : "unexpected end of file");
  }
  return VDMC_OK;
}

int idx_open(const char *path, int ndims, uint32_t *dims, gzFile *out) {
  struct stat st;  // a missing file keeps the hint below; anything else but a file is named
  if (stat(path, &st) == 0 && input_file_check(path, "idx file")) return VDMC_ERR_IO;
  gzFile f = gzopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open (is dataset-fashion-mnist installed? --src DIR)", path);
  uint8_t head[4 + 4 * 3];
  int status = idx_read(f, path, head, 4 + 4 * (size_t)ndims, "the idx header");
  if (!status) {
    uint32_t magic = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
    if (magic != (IDX_UBYTE_MAGIC | (uint32_t)ndims))
      status = vdmc_fail(VDMC_ERR_IO, "%s: bad idx magic 0x%08x, expected 0x%08x (uint8, %d dims)", path,
                         magic, IDX_UBYTE_MAGIC | (uint32_t)ndims, ndims);
    for (int d = 0; d < ndims; d++) {
      const uint8_t *p = head + 4 + 4 * d;
      dims[d] = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    }
  }
  if (status) {
    gzclose(f);
    return status;
  }
  *out = f;
  return VDMC_OK;
}

// The header's count is not trusted for allocation: a corrupt or hostile header asks
// for up to 4 Gi labels (16 GiB as int32) in a file of a few bytes. The labels are read
// in blocks and the array grows only by what the file really holds, so a short file
// fails at its end ("truncated") having allocated about what it contained.
int idx_read_labels(const char *path, int num_classes, int32_t **labels, size_t *n) {
  gzFile f = NULL;
  uint32_t dims[1] = {0};
  uint8_t raw[IDX_LABEL_BLOCK];
  size_t cap = 0;
  *labels = NULL;
  *n = 0;
  int status = idx_open(path, 1, dims, &f);
  for (size_t done = 0; !status && done < dims[0];) {
    size_t k = dims[0] - done < IDX_LABEL_BLOCK ? dims[0] - done : IDX_LABEL_BLOCK;
    if ((status = idx_read(f, path, raw, k, "the labels"))) break;
    if (done + k > cap) {  // doubling: a large file costs O(n) copying, not O(n^2)
      size_t want = 2 * cap > done + k ? 2 * cap : done + k;
      int32_t *grown = realloc(*labels, want * sizeof *grown);
      if (!grown) {
        status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for %zu labels", path, want);
        break;
      }
      *labels = grown;
      cap = want;
    }
    for (size_t i = 0; i < k && !status; i++, done++) {
      if (raw[i] >= num_classes)
        status = vdmc_fail(VDMC_ERR_IO, "%s: label %u of example %zu is not in 0..%d", path, raw[i], done,
                           num_classes - 1);
      (*labels)[done] = raw[i];
    }
    *n = done;
  }
  if (f) gzclose(f);
  return status;
}
