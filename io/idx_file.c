#include "io/idx_file.h"

#include <stdlib.h>

#include "core/output_file.h"
#include "core/status.h"

#define IDX_UBYTE_MAGIC 0x00000800u  // + number of dimensions in the low byte

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
  output_note_input(path);
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

int idx_read_labels(const char *path, int num_classes, int32_t **labels, size_t *n) {
  gzFile f = NULL;
  uint32_t dims[1] = {0};
  *labels = NULL;
  *n = 0;
  int status = idx_open(path, 1, dims, &f);
  if (status) return status;
  uint8_t *raw = malloc(dims[0] ? dims[0] : 1);
  *labels = malloc(sizeof(int32_t) * (dims[0] ? dims[0] : 1));
  if (!raw || !*labels) status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  if (!status) status = idx_read(f, path, raw, dims[0], "the labels");
  for (size_t i = 0; !status && i < dims[0]; i++) {
    if (raw[i] >= num_classes)
      status = vdmc_fail(VDMC_ERR_IO, "%s: label %u of example %zu is not in 0..%d", path, raw[i], i,
                         num_classes - 1);
    (*labels)[i] = raw[i];
  }
  free(raw);
  gzclose(f);
  *n = dims[0];
  return status;
}
