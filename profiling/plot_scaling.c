// profiling/plot_scaling: the measured weak-scaling points of profiling/cluster_scaling.sh
// beside the model's, as PNG plots (docs/cluster.md). Input: one line per point,
//   POINT config=NAME link_gbit=G P=N efficiency=E predicted=Q
// (other lines are ignored; every field of a POINT line is checked). Per config NAME:
//   OUT/efficiency_bandwidth_NAME.png  efficiency over the link's Gb/s (log2 axis), for
//     each node count P > 1 a measured line and a predicted one;
//   OUT/efficiency_nodes_NAME.png      efficiency over P, for each link the same pair.
// The legend is coloured boxes without text: the tool prints which colour is which.
//   usage: plot_scaling POINTS_FILE OUT_DIR
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/plot.h"

enum { MAX_POINTS = 256, MAX_CONFIGS = 8, MAX_VALUES = 8, NAME_LEN = 32 };

typedef struct {
  char config[NAME_LEN + 1];
  double gbit, efficiency, predicted;
  int P;
} Point;

static const char *const COLOUR_NAMES[] = {"blue", "orange", "green", "red", "purple", "brown", "pink", "grey"};

// "key=VALUE" at the start of *s (after spaces) -> the value's text, *s past it.
static int field(const char **s, const char *key, char *value, size_t cap) {
  while (**s == ' ') (*s)++;
  size_t k = strlen(key);
  if (strncmp(*s, key, k) || (*s)[k] != '=') return 0;
  const char *v = *s + k + 1;
  size_t n = strcspn(v, " \n");
  if (n == 0 || n >= cap) return 0;
  memcpy(value, v, n);
  value[n] = '\0';
  *s = v + n;
  return 1;
}

static int number(const char *text, double lo, double hi, double *out) {
  char *end;
  *out = strtod(text, &end);
  return *end == '\0' && isfinite(*out) && *out >= lo && *out <= hi;
}

static int parse_point(const char *line, Point *p) {
  const char *s = line + 5;  // past "POINT"
  char v[64];
  if (!field(&s, "config", p->config, sizeof p->config)) return 0;
  for (const char *c = p->config; *c; c++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *c)) return 0;
  double P;
  if (!field(&s, "link_gbit", v, sizeof v) || !number(v, 1e-6, 1e6, &p->gbit)) return 0;
  if (!field(&s, "P", v, sizeof v) || !number(v, 1, 4096, &P) || P != floor(P)) return 0;
  p->P = (int)P;
  if (!field(&s, "efficiency", v, sizeof v) || !number(v, 0, 2, &p->efficiency)) return 0;
  if (!field(&s, "predicted", v, sizeof v) || !number(v, 0, 2, &p->predicted)) return 0;
  while (*s == ' ') s++;
  return *s == '\0' || *s == '\n';
}

static int read_points(const char *path, Point *pts, int *n) {
  FILE *f = fopen(path, "r");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open the points file", path);
  char line[512];
  int lineno = 0, rc = VDMC_OK;
  *n = 0;
  while (!rc && fgets(line, sizeof line, f)) {
    lineno++;
    if (strncmp(line, "POINT ", 6)) continue;
    if (!strchr(line, '\n') && !feof(f))
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s:%d: line longer than %zu bytes", path, lineno, sizeof line - 1);
    else if (*n == MAX_POINTS)
      rc = vdmc_fail(VDMC_ERR_INPUT, "%s:%d: more than %d points", path, lineno, MAX_POINTS);
    else if (!parse_point(line, &pts[*n]))
      rc = vdmc_fail(VDMC_ERR_INPUT,
                     "%s:%d: expected 'POINT config=NAME link_gbit=G P=N efficiency=E predicted=Q' (NAME of "
                     "letters, digits, _ and -, at most %d; G > 0; N a whole number >= 1; E, Q in [0, 2])",
                     path, lineno, NAME_LEN);
    else
      (*n)++;
  }
  fclose(f);
  if (!rc && *n == 0) rc = vdmc_fail(VDMC_ERR_INPUT, "%s: no POINT lines", path);
  return rc;
}

// The distinct values of x (the link rate or P) over the points of one config, ascending;
// -1 if there are more than MAX_VALUES.
static int distinct(const Point *pts, int n, const char *config, int by_nodes, double *out) {
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(pts[i].config, config)) continue;
    double v = by_nodes ? pts[i].P : pts[i].gbit;
    int seen = 0;
    for (int j = 0; j < m; j++) seen |= out[j] == v;
    if (seen) continue;
    if (m == MAX_VALUES) return -1;
    out[m++] = v;
  }
  for (int i = 1; i < m; i++)  // insertion sort: a handful of values
    for (int j = i; j > 0 && out[j] < out[j - 1]; j--) {
      double t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return m;
}

// One plot of a config: x = the link rate (by_nodes 0) or P (1); one measured and one
// predicted series per value of the other variable (P > 1, or the link rate).
static int plot_config(const Point *pts, int n, const char *config, int by_nodes, const char *out_dir) {
  double xs[MAX_VALUES], groups[MAX_VALUES];
  int nx = distinct(pts, n, config, by_nodes, xs), ng = distinct(pts, n, config, !by_nodes, groups);
  if (nx < 0 || ng < 0)
    return vdmc_fail(VDMC_ERR_INPUT, "config %s: more than %d link rates or node counts", config, MAX_VALUES);
  double y[2 * MAX_VALUES][MAX_VALUES];
  PlotSeries s[2 * MAX_VALUES];
  int ns = 0;
  char legend[2048] = "";
  for (int g = 0; g < ng; g++) {
    if (!by_nodes && groups[g] < 2) continue;  // P = 1 is 1 at every rate
    for (int kind = 0; kind < 2; kind++, ns++) {
      for (int k = 0; k < nx; k++) {
        y[ns][k] = NAN;  // a gap where the point was not measured
        for (int i = 0; i < n; i++) {
          const Point *p = &pts[i];
          double px = by_nodes ? p->P : p->gbit, pg = by_nodes ? p->gbit : p->P;
          if (!strcmp(p->config, config) && px == xs[k] && pg == groups[g])
            y[ns][k] = kind ? p->predicted : p->efficiency;
        }
      }
      s[ns] = (PlotSeries){.x = xs, .y = y[ns], .n = nx};
      memcpy(s[ns].rgb, plot_color(ns), 3);
      size_t used = strlen(legend);
      snprintf(legend + used, sizeof legend - used, "%s%s %s %s%g%s", ns ? ", " : "", COLOUR_NAMES[ns % 8],
               kind ? "predicted" : "measured", by_nodes ? "" : "P=", groups[g], by_nodes ? " Gb/s" : "");
    }
  }
  if (ns == 0 || nx < 2) {
    printf("plot_scaling: %s: fewer than two %s values, no %s plot\n", config, by_nodes ? "node counts" : "link rates",
           by_nodes ? "nodes" : "bandwidth");
    return VDMC_OK;
  }
  PlotAxes ax = {.x_min = xs[0], .x_max = xs[nx - 1], .y_min = 0, .y_max = 1.05, .y_grid = 0.1, .log2_x = !by_nodes};
  if (by_nodes) ax.x_grid = 1;
  char path[4200];
  snprintf(path, sizeof path, "%s/efficiency_%s_%s.png", out_dir, by_nodes ? "nodes" : "bandwidth", config);
  int rc = plot_write_png(path, &ax, s, ns);
  if (!rc) printf("wrote %s (efficiency over %s: %s)\n", path, by_nodes ? "nodes" : "Gb/s, log2 axis", legend);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: plot_scaling POINTS_FILE OUT_DIR\n");
    return 2;
  }
  static Point pts[MAX_POINTS];
  int n, rc = read_points(argv[1], pts, &n);
  const char *configs[MAX_CONFIGS];
  int nc = 0;
  for (int i = 0; !rc && i < n; i++) {
    int seen = 0;
    for (int c = 0; c < nc; c++) seen |= !strcmp(configs[c], pts[i].config);
    if (seen) continue;
    if (nc == MAX_CONFIGS) rc = vdmc_fail(VDMC_ERR_INPUT, "%s: more than %d configs", argv[1], MAX_CONFIGS);
    else configs[nc++] = pts[i].config;
  }
  for (int c = 0; !rc && c < nc; c++)
    for (int by_nodes = 0; !rc && by_nodes < 2; by_nodes++) rc = plot_config(pts, n, configs[c], by_nodes, argv[2]);
  if (rc) fprintf(stderr, "plot_scaling: %s\n", vdmc_error_message());
  return rc ? 1 : 0;
}
