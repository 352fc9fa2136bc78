// Decoding PNG (libpng) and JPEG (libjpeg-turbo) files to 8-bit RGB, and the
// center-crop + area resize used by `vdmc prepare folder`.
// Legend: H/W source height/width, S output side, C = 3 channels (RGB, HWC).
#ifndef VDMC_IO_IMAGE_FILE_H
#define VDMC_IO_IMAGE_FILE_H

#include <stddef.h>
#include <stdint.h>

// Decodes `path` (format from its magic bytes, not its name) into *rgb (H, W, 3),
// malloc'ed; the caller frees it. Gray, palette, 16-bit and alpha PNGs become RGB
// (alpha composited on black); CMYK JPEGs are rejected. Truncated or corrupt files
// (including libjpeg's "premature end" warnings) are errors naming the file.
int image_decode_file(const char *path, uint8_t **rgb, size_t *h, size_t *w);

// out (S, S, C) = the central min(H, W) square of in (H, W, C), resized with an
// area (box) filter: each output pixel is the coverage-weighted mean of the source
// pixels under it (nearest neighbour when upscaling). tmp: min(H, W) * (S * C + 1) + S floats.
void image_center_crop_resize(uint8_t *out, size_t s, const uint8_t *in, size_t h, size_t w, size_t c, float *tmp);

#endif
