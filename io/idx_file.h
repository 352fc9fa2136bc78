// LeCun's idx files of uint8 data (MNIST, Fashion-MNIST), read through zlib (gzip or
// plain): a big-endian header, magic 0x0000080D with D = number of dims, D uint32
// sizes, then the data. Errors name the file and what was being read.
#ifndef VDMC_IO_IDX_FILE_H
#define VDMC_IO_IDX_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

// Opens an idx file of `ndims` (1..3) uint8 dimensions and reads the sizes into dims;
// the caller gzclose()s *out.
int idx_open(const char *path, int ndims, uint32_t *dims, gzFile *out);
// Reads exactly `bytes` bytes (`what` names them in errors).
int idx_read(gzFile f, const char *path, void *buf, size_t bytes, const char *what);
// A 1-D idx file of labels, each below num_classes, as a malloc'd int32 array of *n
// (the caller frees *labels, also on error).
int idx_read_labels(const char *path, int num_classes, int32_t **labels, size_t *n);

#endif
