#include "io/png_header.h"

#include <string.h>

#include "core/status.h"

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

int png_header_read(const uint8_t *data, size_t n, const char *what, int *width, int *height, int *colorspace) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  // signature, then the IHDR chunk: length 13, "IHDR", width, height, depth, colour type
  if (n < 26 || memcmp(data, sig, 8) || be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4))
    return vdmc_fail(VDMC_ERR_IO, "%s: not a PNG file (no signature and IHDR chunk)", what);
  uint32_t w = be32(data + 16), h = be32(data + 20);
  if (w == 0 || h == 0 || w > 0x7fffffff || h > 0x7fffffff)
    return vdmc_fail(VDMC_ERR_IO, "%s: PNG size %ux%u", what, w, h);
  switch (data[25]) {
    case 0: *colorspace = 1; break;
    case 4: *colorspace = 2; break;
    case 2: case 3: *colorspace = 3; break;
    case 6: *colorspace = 4; break;
    default: return vdmc_fail(VDMC_ERR_IO, "%s: PNG colour type %d", what, data[25]);
  }
  *width = (int)w;
  *height = (int)h;
  return VDMC_OK;
}
