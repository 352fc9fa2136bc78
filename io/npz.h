// Streaming reader for one 2-D (or 1-D) integer array inside a NumPy .npz file
// (a zip archive of .npy files, stored or deflated), through libzip. The .npy
// header ("\x93NUMPY", version, little-endian header length, a Python dict with
// descr / fortran_order / shape) is parsed here.
#ifndef VDMC_IO_NPZ_H
#define VDMC_IO_NPZ_H

#include <stddef.h>
#include <stdint.h>
#include <zip.h>

typedef struct {
  const char *path;      // the .npz file, for errors
  char member[64];       // e.g. "data.npy"
  zip_file_t *f;
  size_t rows, cols;     // shape (rows, cols), or (rows,) with cols = 1
  size_t elem_size;      // bytes per element: 1, 2, 4 or 8
  int is_signed;
} NpyStream;

// Opens archive member `name` (without ".npy") and parses its header. The array
// must hold little-endian (or 1-byte) integers in C order with 1 or 2 dimensions.
int npy_open(NpyStream *s, zip_t *za, const char *path, const char *name);
// Reads `count` rows as raw elements (count x cols x elem_size bytes).
int npy_read_rows(NpyStream *s, void *buf, size_t count);
// Element i of a raw row buffer as int64.
int64_t npy_element(const NpyStream *s, const void *buf, size_t i);
void npy_close(NpyStream *s);

// Opens a .npz archive read-only; errors name the file.
int npz_open(zip_t **za, const char *path);

#endif
