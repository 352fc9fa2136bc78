#include "io/png_write.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include "core/output_file.h"
#include "core/pixels.h"
#include "core/status.h"

int png_write(const char *path, const uint8_t *pixels, int width, int height, int channels) {
  if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4))
    return vdmc_fail(VDMC_ERR_INTERNAL, "png_write %s: bad image %dx%dx%d", path, width, height, channels);
  OutputFile out;
  int status = output_file_begin(&out, path);
  if (status) return status;
  const char *tmp = out.tmp_path;
  FILE *f = fopen(tmp, "wbx");  // exclusive: never truncates or follows what is there
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    png_destroy_write_struct(&png, NULL);
    fclose(f);
    return output_file_end(&out, vdmc_fail(VDMC_ERR_MEMORY, "%s: cannot create PNG writer", path));
  }
  // libpng reports errors by longjmp; nothing below allocates outside libpng.
  if (setjmp(png_jmpbuf(png))) {
    int e = errno;  // the failed fwrite's reason, before cleanup can change it
    png_destroy_write_struct(&png, &info);
    fclose(f);
    return output_file_end(&out, vdmc_fail(VDMC_ERR_IO, "%s: libpng failed while writing %s: %s", path, tmp,
                                           strerror(e)));
  }
  png_init_io(png, f);
  int color = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, color, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; y++)
    png_write_row(png, (png_const_bytep)(pixels + (size_t)y * (size_t)width * (size_t)channels));
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  int bad = fflush(f) != 0 || ferror(f);
  int e = errno;
  if (fclose(f) != 0 && !bad) bad = 1, e = errno;
  if (bad) status = vdmc_fail(VDMC_ERR_IO, "%s: cannot write %s: %s", path, tmp, strerror(e));
  return output_file_end(&out, status);
}

void image_grid(uint8_t *out, int *gw, int *gh, const float *images, int N, int H, int W, int C,
                int cols) {
  if (cols < 1) cols = 1;
  if (cols > N) cols = N;
  int rows = (N + cols - 1) / cols;
  const int pad = 2;
  *gw = cols * (W + pad) + pad;
  *gh = rows * (H + pad) + pad;
  if (!out) return;
  memset(out, 0, (size_t)*gw * (size_t)*gh * (size_t)C);
  for (int n = 0; n < N; n++) {
    int gy = pad + (n / cols) * (H + pad), gx = pad + (n % cols) * (W + pad);
    for (int y = 0; y < H; y++)
      for (int x = 0; x < W; x++)
        for (int c = 0; c < C; c++) {
          float v = images[(((size_t)n * H + y) * W + x) * C + c];
          out[(((size_t)(gy + y)) * (size_t)*gw + (size_t)(gx + x)) * (size_t)C + c] = unit_to_pixel(v);
        }
  }
}
