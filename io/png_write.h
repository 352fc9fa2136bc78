// PNG output (libpng): single images and sample grids. Files are written to a
// temporary name and renamed, so a crash never leaves a truncated PNG behind.
#ifndef VDMC_IO_PNG_WRITE_H
#define VDMC_IO_PNG_WRITE_H

#include <stddef.h>
#include <stdint.h>

// pixels (height, width, channels) uint8, channels 1 (gray), 3 (RGB) or 4 (RGBA).
int png_write(const char *path, const uint8_t *pixels, int width, int height, int channels);

// Tiles N images (N, H, W, C) float32 in [-1, 1] (pixels by core/pixels.h) into a grid with `cols` columns and
// a 2-pixel border; writes to `out` (rows*(H+2)+2, cols*(W+2)+2, C) and returns its size
// through *gw, *gh. out == NULL only computes the size.
void image_grid(uint8_t *out, int *gw, int *gh, const float *images, int N, int H, int W, int C,
                int cols);

#endif
