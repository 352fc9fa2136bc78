// PNG writer: a grid round-trips through libpng's reader with the expected pixels.
#define _POSIX_C_SOURCE 200809L  // mkstemp
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/fs.h"
#include "io/png_header.h"
#include "io/png_write.h"

int main(void) {
  enum { N = 5, H = 3, W = 4, C = 3 };
  float imgs[N * H * W * C];
  for (int i = 0; i < N * H * W * C; i++) imgs[i] = -1.0f + 2.0f * (float)(i % 11) / 10.0f;
  int gw, gh;
  image_grid(NULL, &gw, &gh, imgs, N, H, W, C, 3);
  CHECK(gw == 3 * (W + 2) + 2 && gh == 2 * (H + 2) + 2, "grid size %dx%d", gw, gh);
  uint8_t *grid = malloc((size_t)gw * gh * C);
  image_grid(grid, &gw, &gh, imgs, N, H, W, C, 3);
  // image 4 sits in row 1, column 1; its pixel (1, 2) channel 0:
  size_t src = (((size_t)4 * H + 1) * W + 2) * C;
  size_t dst = ((size_t)(2 + 1 * (H + 2) + 1) * gw + (2 + 1 * (W + 2) + 2)) * C;
  CHECK(grid[dst] == (uint8_t)((imgs[src] + 1.0f) * 127.5f + 0.5f), "pixel placed: %d", grid[dst]);
  char path[] = "/tmp/vdmc_png_testXXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "temp file");
  CHECK(png_write(path, grid, gw, gh, C) == 0, "write");
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  CHECK(png_image_begin_read_from_file(&im, path) != 0, "read header");
  im.format = PNG_FORMAT_RGB;
  uint8_t *back = malloc(PNG_IMAGE_SIZE(im));
  CHECK(png_image_finish_read(&im, NULL, back, 0, NULL) != 0, "read pixels");
  CHECK((int)im.width == gw && (int)im.height == gh, "dims");
  CHECK(memcmp(back, grid, (size_t)gw * gh * C) == 0, "pixels round trip");
  CHECK(png_write("/nonexistent-dir/x.png", grid, gw, gh, C) != 0, "unwritable path is an error");
  // png_header_read: the size and TensorBoard colorspace of the file just written
  unsigned char *bytes = NULL;
  size_t len = 0;
  int hw = 0, hh = 0, cs = 0;
  CHECK(fs_read_file(path, &bytes, &len, 1 << 20) == 0, "read the PNG back");
  CHECK(png_header_read(bytes, len, path, &hw, &hh, &cs) == 0 && hw == gw && hh == gh && cs == 3,
        "png header: %dx%d colorspace %d", hw, hh, cs);
  CHECK(png_header_read(bytes, 20, path, &hw, &hh, &cs) != 0, "a cut header is an error");
  bytes[1] = 'X';
  CHECK(png_header_read(bytes, len, path, &hw, &hh, &cs) != 0, "a wrong signature is an error");
  free(bytes);
  CHECK(fs_read_file(path, &bytes, &len, 10) != 0 && bytes == NULL, "fs_read_file refuses a file over its limit");
  CHECK(fs_read_file("/tmp", &bytes, &len, 1 << 20) != 0, "fs_read_file refuses a directory");
  remove(path);
  free(back);
  free(grid);
  return check_finish("png_write");
}
