#include "io/image_file.h"

#include <stdio.h>  // before jpeglib.h, which uses FILE

#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "core/input_file.h"
#include "core/status.h"

// The header's size is checked before the RGB buffer is allocated: a JPEG header of
// a few hundred bytes can claim 65500 x 65500 pixels (12.8 GB), a PNG one 1e6 x 1e6.
// 2^26 pixels (8192 x 8192, 192 MiB as RGB) is far above what `vdmc prepare folder`
// resizes to and above a 50-megapixel photo.
#define IMAGE_MAX_PIXELS ((size_t)1 << 26)

static int check_size(const char *path, const char *kind, size_t w, size_t h) {
  if (w == 0 || h == 0 || w > IMAGE_MAX_PIXELS / h)
    return vdmc_fail(VDMC_ERR_IO, "%s: %s header says %zu x %zu pixels; at most %zu pixels are read (downscale it)",
                     path, kind, w, h, IMAGE_MAX_PIXELS);
  return VDMC_OK;
}

// Every chunk of the PNG at f (just past its signature) fits in the file. libpng
// allocates a text chunk's declared length before reading it: a 73-byte file whose
// iTXt chunk claims 1.95 GB had it ask for that much (the image fuzz target's oom).
// The walk reads 8 bytes per chunk, up to IEND or the end of the file.
static int check_png_chunks(const char *path, FILE *f) {
  if (fseek(f, 0, SEEK_END)) return vdmc_fail(VDMC_ERR_IO, "%s: cannot seek", path);
  long size = ftell(f);
  for (long at = 8; at < size;) {
    unsigned char head[8];
    if (fseek(f, at, SEEK_SET) || fread(head, 1, 8, f) != 8)
      return vdmc_fail(VDMC_ERR_IO, "%s: corrupt or truncated PNG: a chunk header cut at byte %ld", path, at);
    unsigned long length = (unsigned long)head[0] << 24 | (unsigned long)head[1] << 16 | head[2] << 8 | head[3];
    char type[5] = {0};
    for (int i = 0; i < 4; i++) type[i] = (head[4 + i] >= 32 && head[4 + i] < 127) ? (char)head[4 + i] : '?';
    long left = size - at - 12;  // the chunk's data, after its length and type and before its CRC
    if (left < 0 || length > (unsigned long)left)
      return vdmc_fail(VDMC_ERR_IO, "%s: corrupt or truncated PNG: chunk '%s' at byte %ld claims %lu bytes, the file has %ld "
                       "after it", path, type, at, length, left < 0 ? 0 : left);
    if (!memcmp(type, "IEND", 4)) break;
    at += 12 + (long)length;
  }
  return VDMC_OK;
}

static int decode_png(const char *path, uint8_t **rgb, size_t *h, size_t *w) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path))
    return vdmc_fail(VDMC_ERR_IO, "%s: cannot read PNG: %s", path, img.message);
  int status = check_size(path, "PNG", img.width, img.height);
  if (status) {
    png_image_free(&img);
    return status;
  }
  img.format = PNG_FORMAT_RGB;
  *rgb = malloc(PNG_IMAGE_SIZE(img));
  if (!*rgb) {
    png_image_free(&img);
    return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for %ux%u pixels", path, img.width, img.height);
  }
  if (!png_image_finish_read(&img, NULL, *rgb, 0, NULL)) {
    status = vdmc_fail(VDMC_ERR_IO, "%s: corrupt or truncated PNG: %s", path, img.message);
    png_image_free(&img);
    free(*rgb);
    *rgb = NULL;
    return status;
  }
  *h = img.height;
  *w = img.width;
  return VDMC_OK;
}

typedef struct {
  struct jpeg_error_mgr mgr;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
} JpegError;

static void jpeg_fail(j_common_ptr cinfo) {
  JpegError *e = (JpegError *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, e->message);
  longjmp(e->jump, 1);
}

// libjpeg only warns (and fills gray) on truncated or corrupt data: treat as an error.
static void jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_fail(cinfo);
}

static int decode_jpeg(const char *path, FILE *f, uint8_t **rgb, size_t *h, size_t *w) {
  struct jpeg_decompress_struct cinfo;
  JpegError err;
  uint8_t *volatile buf = NULL;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_fail;
  err.mgr.emit_message = jpeg_message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    free(buf);
    return vdmc_fail(VDMC_ERR_IO, "%s: corrupt or truncated JPEG: %s", path, err.message);
  }
  jpeg_create_decompress(&cinfo);
  jpeg_stdio_src(&cinfo, f);
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    return vdmc_fail(VDMC_ERR_IO, "%s: CMYK JPEGs are not supported; convert to RGB", path);
  }
  int status = check_size(path, "JPEG", cinfo.image_width, cinfo.image_height);
  if (status) {
    jpeg_destroy_decompress(&cinfo);
    return status;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  size_t stride = (size_t)cinfo.output_width * 3;
  buf = malloc(stride * cinfo.output_height);
  if (!buf) {
    jpeg_destroy_decompress(&cinfo);
    return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = buf + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  *h = cinfo.output_height;
  *w = cinfo.output_width;
  jpeg_destroy_decompress(&cinfo);
  *rgb = buf;
  return VDMC_OK;
}

int image_decode_file(const char *path, uint8_t **rgb, size_t *h, size_t *w) {
  *rgb = NULL;
  int checked = input_file_check(path, "image");  // a FIFO named x.png would block fopen
  if (checked) return checked;
  FILE *f = fopen(path, "rb");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open", path);
  unsigned char magic[8] = {0};
  size_t got = fread(magic, 1, sizeof magic, f);
  int status;
  if (got == 8 && !png_sig_cmp(magic, 0, 8)) {
    status = check_png_chunks(path, f);
    fclose(f);
    return status ? status : decode_png(path, rgb, h, w);
  }
  if (got >= 3 && magic[0] == 0xff && magic[1] == 0xd8 && magic[2] == 0xff) {
    rewind(f);
    status = decode_jpeg(path, f, rgb, h, w);
  } else {
    status = vdmc_fail(VDMC_ERR_IO, "%s: neither a PNG nor a JPEG file (bad magic bytes)", path);
  }
  fclose(f);
  return status;
}

// Resamples n source samples (stride `in_step` floats apart) to m outputs with a box
// filter: output o averages source interval [o*n/m, (o+1)*n/m) by coverage.
static void area_resample_line(float *out, size_t out_step, const float *in, size_t in_step, size_t n, size_t m) {
  double scale = (double)n / (double)m;
  for (size_t o = 0; o < m; o++) {
    double a = o * scale, b = (o + 1) * scale, acc = 0, wsum = 0;
    for (size_t i = (size_t)a; i < n && (double)i < b; i++) {
      double lo = a > (double)i ? a : (double)i, hi = b < (double)(i + 1) ? b : (double)(i + 1);
      double wgt = hi - lo;
      if (wgt <= 0) continue;
      acc += wgt * in[i * in_step];
      wsum += wgt;
    }
    out[o * out_step] = (float)(wsum > 0 ? acc / wsum : 0);
  }
}

void image_center_crop_resize(uint8_t *out, size_t s, const uint8_t *in, size_t h, size_t w, size_t c, float *tmp) {
  size_t l = h < w ? h : w, y0 = (h - l) / 2, x0 = (w - l) / 2;
  float *line = tmp + l * s * c;  // l floats of scratch after the (l, s, c) buffer
  for (size_t y = 0; y < l; y++)  // horizontal pass: (l, l, c) -> tmp (l, s, c)
    for (size_t ch = 0; ch < c; ch++) {
      const uint8_t *row = in + ((y0 + y) * w + x0) * c + ch;
      for (size_t x = 0; x < l; x++) line[x] = row[x * c];
      area_resample_line(tmp + y * s * c + ch, c, line, 1, l, s);
    }
  float *col = line + l;  // s floats
  for (size_t x = 0; x < s; x++)  // vertical pass: tmp (l, s, c) -> out (s, s, c)
    for (size_t ch = 0; ch < c; ch++) {
      area_resample_line(col, 1, tmp + x * c + ch, s * c, l, s);
      for (size_t y = 0; y < s; y++) {
        float v = col[y] + 0.5f;
        out[(y * s + x) * c + ch] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
}
