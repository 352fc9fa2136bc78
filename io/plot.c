#include "io/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/png_write.h"

enum { MARGIN_L = 64, MARGIN_R = 16, MARGIN_T = 16, MARGIN_B = 32, GLYPH_SCALE = 2 };

static const uint8_t palette[8][3] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                      {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
static const uint8_t grid_rgb[3] = {225, 225, 225}, axis_rgb[3] = {90, 90, 90};

const uint8_t *plot_color(int k) { return palette[((k % 8) + 8) % 8]; }

typedef struct {
  uint8_t *img;  // (H, W, 3)
  int W, H;
  double x0, x1, y0, y1;  // data range (x in log2 units when log2_x)
  int log2_x;
} Canvas;

static void put_pixel(const Canvas *c, int x, int y, const uint8_t *rgb) {
  if (x < 0 || y < 0 || x >= c->W || y >= c->H) return;
  memcpy(c->img + 3 * ((size_t)y * c->W + x), rgb, 3);
}

static void fill_rect(const Canvas *c, int x, int y, int w, int h, const uint8_t *rgb) {
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++) put_pixel(c, x + i, y + j, rgb);
}

// Bresenham, 2 pixels wide.
static void draw_line(const Canvas *c, int x0, int y0, int x1, int y1, const uint8_t *rgb) {
  int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
  for (;;) {
    put_pixel(c, x0, y0, rgb), put_pixel(c, x0, y0 + 1, rgb), put_pixel(c, x0 + 1, y0, rgb);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

// 3x5 glyphs, one row per 3 bits (MSB = left), for the characters of "%g" numbers.
static const char glyph_chars[] = "0123456789.-+e";
static const uint8_t glyph_rows[][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
    {0, 0, 0, 0, 2}, {0, 0, 7, 0, 0}, {0, 2, 7, 2, 0}, {0, 7, 7, 4, 3}};

static int text_width(const char *s) { return (int)strlen(s) * 4 * GLYPH_SCALE - GLYPH_SCALE; }

static void draw_text(const Canvas *c, int x, int y, const char *s) {
  for (; *s; s++, x += 4 * GLYPH_SCALE) {
    const char *p = strchr(glyph_chars, *s);
    if (!p || !*s) continue;
    const uint8_t *rows = glyph_rows[p - glyph_chars];
    for (int r = 0; r < 5; r++)
      for (int b = 0; b < 3; b++)
        if (rows[r] >> (2 - b) & 1) fill_rect(c, x + b * GLYPH_SCALE, y + r * GLYPH_SCALE, GLYPH_SCALE, GLYPH_SCALE, axis_rgb);
  }
}

static int px_x(const Canvas *c, double x) {
  return MARGIN_L + (int)lround((x - c->x0) / (c->x1 - c->x0) * (c->W - MARGIN_L - MARGIN_R));
}
static int px_y(const Canvas *c, double y) {
  return c->H - MARGIN_B - (int)lround((y - c->y0) / (c->y1 - c->y0) * (c->H - MARGIN_T - MARGIN_B));
}

static double axis_x(const PlotAxes *a, double x) { return a->log2_x ? (x > 0 ? log2(x) : NAN) : x; }

// A 1-2-5 step giving about 5 grid lines over `range`.
static double nice_step(double range) {
  double e = pow(10, floor(log10(range / 5))), m = range / 5 / e;
  return e * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
}

static void format_tick(char *buf, size_t n, double v) {
  if (fabs(v) < 1e-12) v = 0;
  snprintf(buf, n, "%.3g", v);
}

// Vertical grid lines with labels underneath (every k-th label when they would touch).
static void draw_x_grid(const Canvas *c, double step) {
  long k0 = (long)ceil(c->x0 / step - 1e-9), k1 = (long)floor(c->x1 / step + 1e-9);
  int every = 1;
  double px_step = step / (c->x1 - c->x0) * (c->W - MARGIN_L - MARGIN_R);
  while (px_step * every < 8 * 4 * GLYPH_SCALE) every++;
  for (long k = k0; k <= k1; k++) {
    double v = k * step;
    int x = px_x(c, v);
    for (int y = MARGIN_T; y <= c->H - MARGIN_B; y++) put_pixel(c, x, y, fabs(v) < 1e-9 * step ? axis_rgb : grid_rgb);
    if (k % every) continue;
    char buf[32];
    format_tick(buf, sizeof buf, c->log2_x ? exp2(v) : v);
    draw_text(c, x - text_width(buf) / 2, c->H - MARGIN_B + 6, buf);
  }
}

static void draw_y_grid(const Canvas *c, double step) {
  long k0 = (long)ceil(c->y0 / step - 1e-9), k1 = (long)floor(c->y1 / step + 1e-9);
  for (long k = k0; k <= k1; k++) {
    double v = k * step;
    int y = px_y(c, v);
    for (int x = MARGIN_L; x <= c->W - MARGIN_R; x++) put_pixel(c, x, y, fabs(v) < 1e-9 * step ? axis_rgb : grid_rgb);
    char buf[32];
    format_tick(buf, sizeof buf, v);
    draw_text(c, MARGIN_L - 6 - text_width(buf), y - 5 * GLYPH_SCALE / 2, buf);
  }
}

static void draw_series(const Canvas *c, const PlotAxes *a, const PlotSeries *s) {
  int have = 0, px = 0, py = 0;
  for (int i = 0; i < s->n; i++) {
    double x = axis_x(a, s->x[i]), y = s->y[i];
    if (!isfinite(x) || !isfinite(y)) {
      have = 0;
      continue;
    }
    int X = px_x(c, x), Y = px_y(c, y);
    if (have) draw_line(c, px, py, X, Y, s->rgb);
    else put_pixel(c, X, Y, s->rgb);
    px = X, py = Y, have = 1;
  }
}

// Data ranges where the axes leave them open.
static void data_range(const PlotAxes *a, const PlotSeries *s, int ns, double *x0, double *x1, double *y0, double *y1) {
  double xmin = INFINITY, xmax = -INFINITY, ymin = 0, ymax = -INFINITY;
  for (int k = 0; k < ns; k++)
    for (int i = 0; i < s[k].n; i++) {
      double x = axis_x(a, s[k].x[i]), y = s[k].y[i];
      if (!isfinite(x) || !isfinite(y)) continue;
      xmin = fmin(xmin, x), xmax = fmax(xmax, x), ymin = fmin(ymin, y), ymax = fmax(ymax, y);
    }
  if (a->x_min < a->x_max) xmin = axis_x(a, a->x_min), xmax = axis_x(a, a->x_max);
  if (!(xmin < xmax)) xmin = isfinite(xmin) ? xmin - 1 : 0, xmax = xmin + 2;
  if (a->y_min < a->y_max) {
    ymin = a->y_min, ymax = a->y_max;
  } else {
    if (!(ymax > ymin)) ymax = ymin + 1;
    ymax += 0.05 * (ymax - ymin);
  }
  *x0 = xmin, *x1 = xmax, *y0 = ymin, *y1 = ymax;
}

int plot_write_png(const char *path, const PlotAxes *axes, const PlotSeries *series, int n_series) {
  Canvas c = {.W = axes->width > 0 ? axes->width : 800, .H = axes->height > 0 ? axes->height : 500,
              .log2_x = axes->log2_x};
  if (c.W < MARGIN_L + MARGIN_R + 16 || c.H < MARGIN_T + MARGIN_B + 16)
    return vdmc_fail(VDMC_ERR_INTERNAL, "plot %s: %dx%d is too small", path, c.W, c.H);
  data_range(axes, series, n_series, &c.x0, &c.x1, &c.y0, &c.y1);
  c.img = malloc((size_t)c.W * c.H * 3);
  if (!c.img) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory drawing %s", path);
  memset(c.img, 255, (size_t)c.W * c.H * 3);
  double xs = axes->x_grid > 0 ? axes->x_grid : c.log2_x ? fmax(1, ceil((c.x1 - c.x0) / 10)) : nice_step(c.x1 - c.x0);
  double ys = axes->y_grid > 0 ? axes->y_grid : nice_step(c.y1 - c.y0);
  draw_x_grid(&c, xs);
  draw_y_grid(&c, ys);
  for (int y = MARGIN_T; y <= c.H - MARGIN_B; y++) put_pixel(&c, MARGIN_L, y, axis_rgb);  // frame: left, bottom
  for (int x = MARGIN_L; x <= c.W - MARGIN_R; x++) put_pixel(&c, x, c.H - MARGIN_B, axis_rgb);
  for (int k = 0; k < n_series; k++) draw_series(&c, axes, &series[k]);
  for (int k = 0; k < n_series; k++)  // legend: one box per series, left to right in series order
    fill_rect(&c, c.W - MARGIN_R - 20 * (n_series - k), MARGIN_T + 4, 12, 12, series[k].rgb);
  int rc = png_write(path, c.img, c.W, c.H, 3);
  free(c.img);
  return rc;
}
