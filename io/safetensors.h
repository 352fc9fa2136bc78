// The safetensors format (docs/interop.md): 8 bytes of little-endian header length N,
// N bytes of JSON {"NAME": {"dtype", "shape", "data_offsets": [begin, end)}, ...,
// "__metadata__": {string: string}}, then the tensors' little-endian bytes, offsets
// relative to the first byte after the header. vdmc export writes it, vdmc import and
// the tests read it. The reader validates every field before it is used (lengths
// against the file size, dtypes, shapes against extents, offsets contiguous from 0 to
// the end of the file) and fails with one line naming the file and the field.
#ifndef VDMC_IO_SAFETENSORS_H
#define VDMC_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SAFETENSORS_MAX_DIMS 8
// A header larger than this is refused before it is allocated (safetensors' own limit).
#define SAFETENSORS_MAX_HEADER (100u << 20)

typedef enum { ST_F32 = 0, ST_BF16, ST_F16, ST_DTYPE_COUNT } SafetensorsDtype;

typedef struct {
  char *name;
  SafetensorsDtype dtype;
  int ndim;
  size_t shape[SAFETENSORS_MAX_DIMS];
  uint64_t begin, end;  // [begin, end) after the header
} SafetensorsTensor;

typedef struct {
  char *key, *value;
} SafetensorsMeta;

typedef struct {
  char path[4096];
  FILE *f;
  uint64_t data_start;          // 8 + N
  SafetensorsTensor *tensors;   // in the header's order
  size_t count;
  SafetensorsMeta *meta;
  size_t nmeta;
} SafetensorsFile;

// The dtype's name in the header ("F32", "BF16", "F16") and its size in bytes.
const char *safetensors_dtype_name(SafetensorsDtype d);
size_t safetensors_dtype_size(SafetensorsDtype d);
// "f32" | "bf16" | "f16" (the --dtype flag) -> dtype; VDMC_ERR_INPUT otherwise.
int safetensors_dtype_parse(const char *flag, SafetensorsDtype *d);

// Opens and validates `path` (see above). On failure nothing stays open.
int safetensors_open(SafetensorsFile *sf, const char *path);
void safetensors_close(SafetensorsFile *sf);
const SafetensorsTensor *safetensors_find(const SafetensorsFile *sf, const char *name);
// The metadata value of `key`, or NULL.
const char *safetensors_meta(const SafetensorsFile *sf, const char *key);
// Reads a tensor's data as float32 (bf16/f16 widened exactly) into out (numel floats).
int safetensors_read_f32(const SafetensorsFile *sf, const SafetensorsTensor *t, float *out);
size_t safetensors_numel(const SafetensorsTensor *t);

// What a writer gives per tensor: float32 data in the file's (PyTorch's) layout.
typedef struct {
  const char *name;
  const float *data;  // (shape...) row-major
  int ndim;
  size_t shape[SAFETENSORS_MAX_DIMS];
} SafetensorsOut;

// Writes the tensors in the given order as `dtype` with the metadata pairs, through
// the output policy (core/output_file.h: a temporary renamed when complete). An f16
// value that overflows is refused naming the tensor, and nothing is written.
int safetensors_write(const char *path, const SafetensorsOut *tensors, size_t n, SafetensorsDtype dtype,
                      const SafetensorsMeta *meta, size_t nmeta);

#endif
