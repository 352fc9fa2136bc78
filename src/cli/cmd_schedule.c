// vdmc schedule: tabulate (CSV) or plot (PNG) a noise schedule's density p(lambda)
// and a weighting w(lambda) over a lambda grid, like VDM++ Figures 2 and 3.
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/param_table.h"
#include "core/status.h"
#include "diffusion/adaptive.h"
#include "diffusion/objective_spec.h"
#include "diffusion/schedule_learned.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc schedule [--schedule NAME] [--weighting NAME] [options] (--csv | --png FILE)\n"
          "  --schedule    cosine | shifted-cosine | edm-training | edm-sampling | fm-ot | linear |\n"
          "                adaptive | learned          (default cosine)\n"
          "  --weighting   elbo | iddpm | edm | edm-monotonic | v-prediction | fm-ot | indi | p2 |\n"
          "                min-snr | sigmoid           (default sigmoid)\n"
          "  --lambda-min X --lambda-max X   truncation range (default -20 20)\n"
          "  --resolution D   shift s = log(64/D) for shifted-cosine and the weighting\n"
          "  --bias B --p2-k K --p2-gamma G --min-snr-gamma G --sigma-data S\n"
          "  --rho R --sigma-min S --sigma-max S --edm-mean M --edm-std S\n"
          "  --points N    grid size (default 401)\n"
          "  --csv         print lambda,t,p,w,w_over_p\n"
          "  --png FILE    draw p (blue) and w (orange), each scaled to max 1, grid every 5 in lambda\n"
          "adaptive and learned schedules are shown in their initial state; a CONFIG file and\n"
          "--from-checkpoint are not supported yet (YAML configs and checkpoints are later issues).\n");
}

typedef struct {
  double *lambda, *t, *p, *w;
  int n;
} Table;

static void put_pixel(png_bytep *rows, int W, int H, int x, int y, const unsigned char *rgb) {
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  memcpy(rows[y] + 3 * x, rgb, 3);
}

static void draw_line(png_bytep *rows, int W, int H, int x0, int y0, int x1, int y1, const unsigned char *rgb) {
  int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
  for (;;) {
    for (int o = 0; o < 2; o++) put_pixel(rows, W, H, x0, y0 + o, rgb), put_pixel(rows, W, H, x0 + o, y0, rgb);
    if (x0 == x1 && y0 == y1) break;
    int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

static void draw_curve(png_bytep *rows, int W, int H, int m, const Table *tb, const double *v, const unsigned char *rgb) {
  double vmax = 0;
  for (int i = 0; i < tb->n; i++) vmax = fmax(vmax, v[i]);
  if (!(vmax > 0)) return;
  double l0 = tb->lambda[0], l1 = tb->lambda[tb->n - 1];
  int px = 0, py = 0;
  for (int i = 0; i < tb->n; i++) {
    int x = m + (int)lround((tb->lambda[i] - l0) / (l1 - l0) * (W - 2 * m));
    int y = H - m - (int)lround(v[i] / vmax / 1.05 * (H - 2 * m));
    if (i) draw_line(rows, W, H, px, py, x, y, rgb);
    px = x, py = y;
  }
}

static int write_png(const char *path, const Table *tb) {
  const int W = 800, H = 500, m = 40;
  png_bytep *rows = calloc(H, sizeof *rows);
  unsigned char *img = malloc((size_t)W * H * 3);
  if (!rows || !img) {
    free(rows), free(img);
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory drawing %s", path);
  }
  memset(img, 255, (size_t)W * H * 3);
  for (int y = 0; y < H; y++) rows[y] = img + (size_t)y * W * 3;
  const unsigned char grid[3] = {225, 225, 225}, axis[3] = {90, 90, 90}, blue[3] = {31, 119, 180},
                      orange[3] = {255, 127, 14};
  double l0 = tb->lambda[0], l1 = tb->lambda[tb->n - 1];
  for (double l = ceil(l0 / 5) * 5; l <= l1; l += 5) {
    int x = m + (int)lround((l - l0) / (l1 - l0) * (W - 2 * m));
    for (int y = m; y <= H - m; y++) put_pixel(rows, W, H, x, y, fabs(l) < 1e-9 ? axis : grid);
  }
  for (int k = 0; k <= 4; k++) {
    int y = H - m - (int)lround(k * 0.25 / 1.05 * (H - 2 * m));
    for (int x = m; x <= W - m; x++) put_pixel(rows, W, H, x, y, k == 0 ? axis : grid);
  }
  draw_curve(rows, W, H, m, tb, tb->p, blue);
  draw_curve(rows, W, H, m, tb, tb->w, orange);
  for (int y = 12; y < 24; y++)  // legend swatches: p then w
    for (int x = 0; x < 12; x++) put_pixel(rows, W, H, W - m - 40 + x, y, blue), put_pixel(rows, W, H, W - m - 20 + x, y, orange);

  FILE *f = fopen(path, "wb");
  if (!f) {
    free(rows), free(img);
    return vdmc_fail(VDMC_ERR_IO, "cannot write %s", path);
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  int rc = VDMC_OK;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    rc = vdmc_fail(VDMC_ERR_IO, "libpng failed writing %s", path);
  } else {
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
  }
  png_destroy_write_struct(&png, &info);
  if (fclose(f) && rc == VDMC_OK) rc = vdmc_fail(VDMC_ERR_IO, "cannot write %s", path);
  free(rows), free(img);
  return rc;
}

// --flag-name -> spec key (dashes to underscores), or NULL if not a spec flag
static const char *spec_key(const char *flag, char *buf, size_t n) {
  if (strncmp(flag, "--", 2) || strlen(flag) + 1 > n) return NULL;
  snprintf(buf, n, "%s", flag + 2);
  for (char *c = buf; *c; c++)
    if (*c == '-') *c = '_';
  return buf;
}

static int run(int argc, char **argv) {
  DiffusionSpec spec;
  diffusion_spec_defaults(&spec);
  int csv = 0, points = 401;
  const char *png = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return -1;
    } else if (!strcmp(a, "--csv")) {
      csv = 1;
    } else if (!strcmp(a, "--png")) {
      if (i + 1 >= argc) return vdmc_fail(VDMC_ERR_INPUT, "--png: missing file name");
      png = argv[++i];
    } else if (!strcmp(a, "--points")) {
      char *end;
      long v = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
      if (i + 1 >= argc || *end || v < 2 || v > 1000000)
        return vdmc_fail(VDMC_ERR_INPUT, "--points: expected an integer in [2, 1000000], got '%s'",
                         i + 1 < argc ? argv[i + 1] : "");
      points = (int)v;
      i++;
    } else if (!strcmp(a, "--from-checkpoint")) {
      return vdmc_fail(VDMC_ERR_INPUT, "--from-checkpoint is not supported yet (checkpoints are a later issue)");
    } else if (strncmp(a, "--", 2)) {
      return vdmc_fail(VDMC_ERR_INPUT, "%s: config files are not supported yet (YAML configs are a later issue); "
                       "use --schedule/--weighting flags", a);
    } else {
      char key[64];
      if (!spec_key(a, key, sizeof key)) return vdmc_fail(VDMC_ERR_INPUT, "unknown option %s", a);
      int rc = diffusion_spec_set(&spec, key, i + 1 < argc ? argv[i + 1] : NULL, a);
      if (rc) {
        if (strstr(vdmc_error_message(), "unknown diffusion key"))
          return vdmc_fail(VDMC_ERR_INPUT, "unknown option %s (see vdmc schedule --help)", a);
        return rc;
      }
      i++;
    }
  }
  if (!csv && !png) return vdmc_fail(VDMC_ERR_INPUT, "nothing to do: pass --csv and/or --png FILE");

  Schedule sch;
  Weighting w;
  int rc = diffusion_spec_build(&spec, &sch, &w);
  if (rc) return rc;
  AdaptiveSchedule ad;
  LearnedSchedule ls;
  ParamTable table;
  float *params = NULL;
  param_table_init(&table);
  if (sch.kind == SCHEDULE_ADAPTIVE) {
    if ((rc = adaptive_init(&ad, sch.lambda_min, sch.lambda_max))) return rc;
    sch.adaptive = &ad;
  } else if (sch.kind == SCHEDULE_LEARNED) {
    rc = learned_register(&ls, &table, "schedule", 1024, sch.lambda_min, sch.lambda_max);
    if (!rc && !(params = vdmc_alloc_floats(table.total))) rc = VDMC_ERR_MEMORY;
    if (rc) {
      param_table_free(&table);
      return rc;
    }
    learned_init_params(&ls, params);
    ls.params = params;
    sch.learned = &ls;
  }
  if (sch.adaptive || sch.learned) {
    fprintf(stderr, "vdmc schedule: %s schedule shown in its initial state (no checkpoint)\n",
            schedule_kind_name(sch.kind));
    rc = schedule_prepare(&sch);
  }
  Table tb = {calloc(points, sizeof(double)), calloc(points, sizeof(double)), calloc(points, sizeof(double)),
              calloc(points, sizeof(double)), points};
  if (!rc && (!tb.lambda || !tb.t || !tb.p || !tb.w)) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  if (!rc) {
    for (int i = 0; i < points; i++) {
      double l = sch.lambda_min + (sch.lambda_max - sch.lambda_min) * i / (points - 1);
      tb.lambda[i] = l;
      tb.t[i] = schedule_time(&sch, l);
      tb.p[i] = schedule_density(&sch, l);
      tb.w[i] = weighting_eval(&w, l);
    }
    if (csv) {
      printf("# schedule=%s weighting=%s lambda_min=%g lambda_max=%g monotonic_weighting=%d\n",
             spec.shifted_schedule ? "shifted-cosine" : schedule_kind_name(sch.kind), weighting_kind_name(w.kind),
             sch.lambda_min, sch.lambda_max, weighting_is_monotonic(w.kind));
      printf("lambda,t,p,w,w_over_p\n");
      for (int i = 0; i < points; i++)
        printf("%.10g,%.10g,%.10g,%.10g,%.10g\n", tb.lambda[i], tb.t[i], tb.p[i], tb.w[i], tb.w[i] / tb.p[i]);
    }
    if (png) rc = write_png(png, &tb);
  }
  free(tb.lambda), free(tb.t), free(tb.p), free(tb.w);
  vdmc_free_floats(params);
  param_table_free(&table);
  return rc;
}

int cmd_schedule(int argc, char **argv) {
  int rc = run(argc, argv);
  if (rc == -1) return 0;  // --help
  if (rc) {
    fprintf(stderr, "vdmc schedule: %s\n", vdmc_error_message());
    return 2;
  }
  return 0;
}
