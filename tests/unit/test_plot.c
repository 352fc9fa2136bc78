// io/plot: a plot read back through libpng has the requested size, the series
// drawn at the right pixels in their colours, the legend boxes, and a white
// background; bad sizes and unwritable paths are errors.
#define _POSIX_C_SOURCE 200809L  // mkstemp
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/plot.h"

static const uint8_t *pixel(const uint8_t *img, int W, int x, int y) { return img + 3 * ((size_t)y * W + x); }

int main(void) {
  // series 0: the diagonal y = x; series 1: y = 0.5; axes [0, 1] x [0, 1]
  double x[3] = {0, 0.5, 1}, diag[3] = {0, 0.5, 1}, flat[3] = {0.5, 0.5, 0.5};
  PlotSeries s[2] = {{.x = x, .y = diag, .n = 3}, {.x = x, .y = flat, .n = 3}};
  memcpy(s[0].rgb, plot_color(0), 3);
  memcpy(s[1].rgb, plot_color(1), 3);
  CHECK(memcmp(plot_color(0), plot_color(1), 3) != 0 && plot_color(9) == plot_color(1), "palette");
  PlotAxes ax = {.width = 800, .height = 500, .x_min = 0, .x_max = 1, .y_min = 0, .y_max = 1};
  char path[] = "/tmp/vdmc_plot_testXXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0, "temp file");
  close(fd);
  CHECK(plot_write_png(path, &ax, s, 2) == 0, "write");
  png_image im;
  memset(&im, 0, sizeof im);
  im.version = PNG_IMAGE_VERSION;
  CHECK(png_image_begin_read_from_file(&im, path) != 0, "libpng reads the header");
  CHECK(im.width == 800 && im.height == 500, "size %ux%u", im.width, im.height);
  im.format = PNG_FORMAT_RGB;
  uint8_t *img = malloc(PNG_IMAGE_SIZE(im));
  CHECK(png_image_finish_read(&im, NULL, img, 0, NULL) != 0, "libpng reads the pixels");
  // plot area: x in [64, 784], y in [16, 468] (margins 64 left, 16 right, 16 top, 32 bottom)
  // y = 0.5 -> row 468 - 226 = 242; x = 0.25 -> column 64 + 180 = 244, x = 0.75 -> 604
  CHECK(!memcmp(pixel(img, 800, 604, 242), plot_color(1), 3), "flat series at (0.75, 0.5)");
  CHECK(!memcmp(pixel(img, 800, 244, 355), plot_color(0), 3), "diagonal at (0.25, 0.25)");
  CHECK(!memcmp(pixel(img, 800, 750, 25), plot_color(0), 3), "legend box 0");
  CHECK(!memcmp(pixel(img, 800, 770, 25), plot_color(1), 3), "legend box 1");
  const uint8_t white[3] = {255, 255, 255};
  CHECK(!memcmp(pixel(img, 800, 300, 100), white, 3), "background");
  CHECK(!memcmp(pixel(img, 800, 2, 2), white, 3), "margin");
  free(img);
  remove(path);
  CHECK(plot_write_png("/nonexistent-dir/x.png", &ax, s, 2) != 0, "unwritable path is an error");
  PlotAxes tiny = {.width = 10, .height = 10};
  CHECK(plot_write_png(path, &tiny, s, 2) != 0, "too small an image is an error");
  remove(path);
  return check_finish("plot");
}
