// Line plots as PNG files (on io/png_write.h): axes, a grid with numeric tick
// labels (a built-in 3x5 digit font, drawn at 2x), several coloured series and a
// legend of coloured boxes in the top-right corner, in series order. Used by
// `vdmc schedule --png` and the profiling tools (profiling/report, scaling_model).
#ifndef VDMC_IO_PLOT_H
#define VDMC_IO_PLOT_H

#include <stdint.h>

typedef struct {
  const double *x, *y;  // (n) points; a non-finite x or y breaks the line there
  int n;
  uint8_t rgb[3];
} PlotSeries;

typedef struct {
  int width, height;                  // pixels; 0 -> 800 x 500
  double x_min, x_max, y_min, y_max;  // ranges; min == max -> from the data (y from min(0, data))
  double x_grid, y_grid;              // grid spacing in data units; 0 -> a 1-2-5 step, 4-8 lines
  int log2_x;                         // 1: x on a log2 axis, grid at powers of two
} PlotAxes;

// Colour k of a fixed 8-colour palette (k taken modulo 8).
const uint8_t *plot_color(int k);

// Draws the series on the axes and writes an RGB PNG to `path`.
int plot_write_png(const char *path, const PlotAxes *axes, const PlotSeries *series, int n_series);

#endif
