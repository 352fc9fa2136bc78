// Opening a safetensors file: the header length against the file size, the parsed
// header (safetensors_header.c), then the offsets: unique names, every extent equal to
// its shape's product times the dtype size, and the extents tiling the data section
// [0, file size - 8 - N) exactly (contiguous, no overlap, nothing out of bounds).
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/half_float.h"
#include "core/input_file.h"
#include "core/status.h"
#include "io/safetensors_internal.h"

static const char *kDtypeNames[ST_DTYPE_COUNT] = {"F32", "BF16", "F16"};
static const size_t kDtypeSizes[ST_DTYPE_COUNT] = {4, 2, 2};

const char *safetensors_dtype_name(SafetensorsDtype d) { return (unsigned)d < ST_DTYPE_COUNT ? kDtypeNames[d] : "?"; }
size_t safetensors_dtype_size(SafetensorsDtype d) { return (unsigned)d < ST_DTYPE_COUNT ? kDtypeSizes[d] : 0; }

int safetensors_dtype_parse(const char *flag, SafetensorsDtype *d) {
  static const char *flags[ST_DTYPE_COUNT] = {"f32", "bf16", "f16"};
  for (int i = 0; i < ST_DTYPE_COUNT; i++)
    if (!strcmp(flag, flags[i])) {
      *d = (SafetensorsDtype)i;
      return VDMC_OK;
    }
  return vdmc_fail(VDMC_ERR_INPUT, "--dtype: '%s' is not f32, bf16 or f16", flag);
}

size_t safetensors_numel(const SafetensorsTensor *t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

// The shape's bytes, or 0 with *overflow set when the product does not fit.
static uint64_t shape_bytes(const SafetensorsTensor *t, int *overflow) {
  uint64_t b = safetensors_dtype_size(t->dtype);
  *overflow = 0;
  for (int i = 0; i < t->ndim; i++) {
    if (t->shape[i] && b > UINT64_MAX / t->shape[i]) *overflow = 1;
    b *= t->shape[i];
  }
  return *overflow ? 0 : b;
}

static int by_begin(const void *a, const void *b) {
  const SafetensorsTensor *x = *(SafetensorsTensor *const *)a, *y = *(SafetensorsTensor *const *)b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : x->end < y->end ? -1 : x->end > y->end;
}

static int check_extents(const SafetensorsFile *sf, uint64_t data_bytes) {
  for (size_t i = 0; i < sf->count; i++) {
    const SafetensorsTensor *t = &sf->tensors[i];
    int overflow;
    uint64_t want = shape_bytes(t, &overflow);
    char need[48];
    if (overflow) snprintf(need, sizeof need, "more than 2^64");
    else snprintf(need, sizeof need, "%llu", (unsigned long long)want);
    if (overflow || want != t->end - t->begin)
      return vdmc_fail(VDMC_ERR_IO, "%s: tensor '%s': data_offsets [%llu, %llu) hold %llu bytes but its %s shape needs "
                       "%s", sf->path, t->name, (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)(t->end - t->begin), safetensors_dtype_name(t->dtype), need);
    for (size_t j = 0; j < i; j++)
      if (!strcmp(sf->tensors[j].name, t->name))
        return vdmc_fail(VDMC_ERR_IO, "%s: tensor '%s' is named twice in the header", sf->path, t->name);
  }
  SafetensorsTensor **order = malloc((sf->count ? sf->count : 1) * sizeof *order);
  if (!order) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", sf->path);
  for (size_t i = 0; i < sf->count; i++) order[i] = &sf->tensors[i];
  qsort(order, sf->count, sizeof *order, by_begin);
  uint64_t at = 0;
  int rc = VDMC_OK;
  for (size_t i = 0; i < sf->count && !rc; i++) {
    const SafetensorsTensor *t = order[i];
    if (t->begin != at)
      rc = vdmc_fail(VDMC_ERR_IO, "%s: tensor '%s': data_offsets begin at %llu but the previous tensor ends at %llu "
                     "(%s)", sf->path, t->name, (unsigned long long)t->begin, (unsigned long long)at,
                     t->begin < at ? "overlapping data" : "a gap in the data");
    else if (t->end > data_bytes)
      rc = vdmc_fail(VDMC_ERR_IO, "%s: tensor '%s': data_offsets end at %llu, beyond the %llu data bytes of the file "
                     "(truncated?)", sf->path, t->name, (unsigned long long)t->end, (unsigned long long)data_bytes);
    at = t->end;
  }
  free(order);
  if (!rc && at != data_bytes)
    rc = vdmc_fail(VDMC_ERR_IO, "%s: the tensors' data ends at byte %llu but the file holds %llu data bytes after the "
                   "header", sf->path, (unsigned long long)at, (unsigned long long)data_bytes);
  return rc;
}

int safetensors_open(SafetensorsFile *sf, const char *path) {
  memset(sf, 0, sizeof *sf);
  snprintf(sf->path, sizeof sf->path, "%s", path);
  struct stat sb;
  unsigned char len_bytes[8];
  char *header = NULL;
  int rc = input_file_check(path, "safetensors file");  // a FIFO would block fopen
  if (rc) return rc;
  if (!(sf->f = fopen(path, "rb")) || fstat(fileno(sf->f), &sb) != 0) {
    rc = vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    goto done;
  }
  if (!S_ISREG(sb.st_mode)) {
    rc = vdmc_fail(VDMC_ERR_IO, "%s: not a regular file", path);
    goto done;
  }
  uint64_t size = (uint64_t)sb.st_size, n = 0;
  if (size < 8 || fread(len_bytes, 1, 8, sf->f) != 8) {
    rc = vdmc_fail(VDMC_ERR_IO, "%s: header length: the file has %llu bytes, fewer than the 8-byte length", path,
                   (unsigned long long)size);
    goto done;
  }
  for (int i = 7; i >= 0; i--) n = n << 8 | len_bytes[i];
  if (n > size - 8 || n > SAFETENSORS_MAX_HEADER || n < 2) {
    rc = vdmc_fail(VDMC_ERR_IO, "%s: header length: %llu bytes, but %s", path, (unsigned long long)n,
                   n < 2 ? "a JSON object needs at least 2" : n > size - 8 ? "the file is shorter (truncated or not safetensors?)"
                                                                   : "the limit is 100 MiB");
    goto done;
  }
  if (!(header = malloc(n))) {
    rc = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for a %llu-byte header", path, (unsigned long long)n);
    goto done;
  }
  if (fread(header, 1, n, sf->f) != n) {
    rc = vdmc_fail(VDMC_ERR_IO, "%s: header: cannot read %llu bytes: %s", path, (unsigned long long)n,
                   ferror(sf->f) ? strerror(errno) : "unexpected end of file");
    goto done;
  }
  sf->data_start = 8 + n;
  if (!(rc = safetensors_parse_header(sf, header, (size_t)n))) rc = check_extents(sf, size - 8 - n);
done:
  free(header);
  if (rc) safetensors_close(sf);
  return rc;
}

void safetensors_close(SafetensorsFile *sf) {
  if (sf->f) fclose(sf->f);
  for (size_t i = 0; i < sf->count; i++) free(sf->tensors[i].name);
  for (size_t i = 0; i < sf->nmeta; i++) free(sf->meta[i].key), free(sf->meta[i].value);
  free(sf->tensors);
  free(sf->meta);
  sf->f = NULL;
  sf->tensors = NULL;
  sf->meta = NULL;
  sf->count = sf->nmeta = 0;
}

const SafetensorsTensor *safetensors_find(const SafetensorsFile *sf, const char *name) {
  for (size_t i = 0; i < sf->count; i++)
    if (!strcmp(sf->tensors[i].name, name)) return &sf->tensors[i];
  return NULL;
}

const char *safetensors_meta(const SafetensorsFile *sf, const char *key) {
  for (size_t i = 0; i < sf->nmeta; i++)
    if (!strcmp(sf->meta[i].key, key)) return sf->meta[i].value;
  return NULL;
}

int safetensors_read_f32(const SafetensorsFile *sf, const SafetensorsTensor *t, float *out) {
  size_t n = safetensors_numel(t), width = safetensors_dtype_size(t->dtype);
  unsigned char *raw = malloc(n * width + 1);
  if (!raw) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for tensor '%s'", sf->path, t->name);
  int ok = fseeko(sf->f, (off_t)(sf->data_start + t->begin), SEEK_SET) == 0 && fread(raw, width, n, sf->f) == n;
  if (!ok) {
    free(raw);
    return vdmc_fail(VDMC_ERR_IO, "%s: tensor '%s': cannot read its %zu bytes (file changed or truncated?)", sf->path,
                     t->name, n * width);
  }
  for (size_t i = 0; i < n; i++) {  // little-endian bytes, whatever the host's order
    const unsigned char *b = raw + i * width;
    if (t->dtype == ST_F32) {
      uint32_t x = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
      memcpy(&out[i], &x, sizeof x);
    } else {
      uint16_t h = (uint16_t)(b[0] | b[1] << 8);
      out[i] = t->dtype == ST_BF16 ? f32_from_bf16(h) : f32_from_f16(h);
    }
  }
  free(raw);
  return VDMC_OK;
}
