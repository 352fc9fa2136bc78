// Folder image decoder target: the input decoded as `vdmc prepare folder` decodes each
// image (image_decode_file: PNG or JPEG by magic bytes, to 8-bit RGB), then
// center-cropped and area-resized to a small square as prepare does.
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_file.h"
#include "io/image_file.h"

#define OUT_SIDE 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *rgb = NULL, out[OUT_SIDE * OUT_SIDE * 3];
  size_t h = 0, w = 0;
  if (image_decode_file(fuzz_file(data, size), &rgb, &h, &w)) return 0;
  size_t side = h < w ? h : w;
  float *tmp = malloc((side * (OUT_SIDE * 3 + 1) + OUT_SIDE) * sizeof *tmp);  // image_file.h's size
  if (tmp) image_center_crop_resize(out, OUT_SIDE, rgb, h, w, 3, tmp);
  free(tmp);
  free(rgb);
  return 0;
}
