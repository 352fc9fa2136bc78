// The size and colour type of a PNG from its first bytes (signature + IHDR), without
// decoding it: what a TensorBoard image summary states next to the encoded file.
#ifndef VDMC_IO_PNG_HEADER_H
#define VDMC_IO_PNG_HEADER_H

#include <stddef.h>
#include <stdint.h>

// colorspace: TensorBoard's numbering, 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA (palette
// images count as RGB). Fails (VDMC_ERR_IO, naming `what`) on anything else.
int png_header_read(const uint8_t *data, size_t n, const char *what, int *width, int *height, int *colorspace);

#endif
