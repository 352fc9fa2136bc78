// Writing a safetensors file: the header (tensors in the given order, contiguous
// offsets, "__metadata__" last, padded with spaces to a multiple of 8 so the data is
// aligned), then each tensor's little-endian bytes, through the output policy.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/half_float.h"
#include "core/output_file.h"
#include "core/status.h"
#include "io/json_write.h"
#include "io/safetensors.h"

static size_t out_numel(const SafetensorsOut *t) {
  size_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
  return n;
}

// The JSON header into a malloc'd buffer (*len bytes, a multiple of 8).
static int format_header(char **text, size_t *len, const SafetensorsOut *tensors, size_t n, SafetensorsDtype dtype,
                         const SafetensorsMeta *meta, size_t nmeta) {
  FILE *f = open_memstream(text, len);
  if (!f) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for a safetensors header");
  uint64_t at = 0;
  fputc('{', f);
  for (size_t i = 0; i < n; i++) {
    uint64_t bytes = out_numel(&tensors[i]) * safetensors_dtype_size(dtype);
    json_put_string(f, tensors[i].name);
    fprintf(f, ":{\"dtype\":\"%s\",\"shape\":[", safetensors_dtype_name(dtype));
    for (int d = 0; d < tensors[i].ndim; d++) fprintf(f, "%s%zu", d ? "," : "", tensors[i].shape[d]);
    fprintf(f, "],\"data_offsets\":[%llu,%llu]},", (unsigned long long)at, (unsigned long long)(at + bytes));
    at += bytes;
  }
  fputs("\"__metadata__\":{", f);
  for (size_t i = 0; i < nmeta; i++) {
    if (i) fputc(',', f);
    json_put_string(f, meta[i].key);
    fputc(':', f);
    json_put_string(f, meta[i].value);
  }
  fputs("}}", f);
  while (ftell(f) % 8) fputc(' ', f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(*text);
    *text = NULL;
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for a safetensors header");
  }
  return VDMC_OK;
}

// One tensor as dtype's little-endian bytes into raw; an f16 overflow names the tensor.
static int encode(unsigned char *raw, const SafetensorsOut *t, SafetensorsDtype dtype, const char *path) {
  size_t n = out_numel(t);
  for (size_t i = 0; i < n; i++) {
    float v = t->data[i];
    if (dtype == ST_F32) {
      uint32_t x;
      memcpy(&x, &v, sizeof x);
      for (int k = 0; k < 4; k++) raw[4 * i + k] = (unsigned char)(x >> (8 * k));
      continue;
    }
    uint16_t h;
    if (dtype == ST_BF16) h = bf16_from_f32(v);
    else if (!f16_from_f32(v, &h))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: tensor '%s' does not fit float16: element %zu is %g (float16 holds "
                       "|x| <= 65504); export it as --dtype bf16 or f32", path, t->name, i, v);
    raw[2 * i] = (unsigned char)h;
    raw[2 * i + 1] = (unsigned char)(h >> 8);
  }
  return VDMC_OK;
}

static int write_all(FILE *f, const SafetensorsOut *tensors, size_t n, SafetensorsDtype dtype, const char *header,
                     size_t header_len, const char *path) {
  unsigned char len_bytes[8];
  for (int k = 0; k < 8; k++) len_bytes[k] = (unsigned char)((uint64_t)header_len >> (8 * k));
  if (fwrite(len_bytes, 1, 8, f) != 8 || fwrite(header, 1, header_len, f) != header_len) return -1;
  size_t width = safetensors_dtype_size(dtype);
  for (size_t i = 0; i < n; i++) {
    size_t bytes = out_numel(&tensors[i]) * width;
    unsigned char *raw = malloc(bytes ? bytes : 1);
    if (!raw) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for tensor '%s'", path, tensors[i].name);
    int rc = encode(raw, &tensors[i], dtype, path);
    if (!rc && fwrite(raw, 1, bytes, f) != bytes) rc = -1;
    free(raw);
    if (rc) return rc;
  }
  return VDMC_OK;
}

int safetensors_write(const char *path, const SafetensorsOut *tensors, size_t n, SafetensorsDtype dtype,
                      const SafetensorsMeta *meta, size_t nmeta) {
  OutputFile out;
  char *header = NULL;
  size_t header_len = 0;
  int rc = output_file_begin(&out, path);
  if (rc) return rc;
  if ((rc = format_header(&header, &header_len, tensors, n, dtype, meta, nmeta))) return output_file_end(&out, rc);
  FILE *f = fopen(out.tmp_path, "wbx");
  if (!f) {
    free(header);
    return output_file_end(&out, vdmc_fail(VDMC_ERR_IO, "%s: cannot create %s: %s", path, out.tmp_path, strerror(errno)));
  }
  rc = write_all(f, tensors, n, dtype, header, header_len, path);
  int e = errno;
  if (fflush(f) != 0 && !rc) rc = -1, e = errno;
  if (fclose(f) != 0 && !rc) rc = -1, e = errno;
  if (rc == -1) rc = vdmc_fail(VDMC_ERR_IO, "%s: cannot write %s: %s", path, out.tmp_path, strerror(e));
  free(header);
  return output_file_end(&out, rc);
}
