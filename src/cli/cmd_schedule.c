// vdmc schedule: tabulate (CSV) or plot (PNG) a noise schedule's density p(lambda)
// and a weighting w(lambda) over a lambda grid, like VDM++ Figures 2 and 3.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/config_args.h"
#include "core/status.h"
#include "cli/flag_parse.h"
#include "diffusion/objective_config.h"
#include "diffusion/objective_spec.h"
#include "io/checkpoint.h"
#include "io/plot.h"
#include "run/objective.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: vdmc schedule [CONFIG.yaml] [--set KEY=VALUE]... [options] (--csv | --png FILE)\n"
          "  the objective comes from the config (the embedded default without one; with\n"
          "  diffusion.adaptive: true that is the adaptive schedule); options override it:\n"
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
          "  --from-checkpoint RUN|FILE   the run's own objective and its trained adaptive or\n"
          "                learned schedule (options above still override; CONFIG and --set are ignored)\n"
          "without --from-checkpoint, adaptive and learned schedules are shown in their initial state.\n");
}

typedef struct {
  double *lambda, *t, *p, *w;
  int n;
} Table;

// p and w over the lambda grid, each scaled to max 1 (as in the paper's Fig. 3),
// grid every 5 in lambda and 0.25 in y.
static int write_plot(const char *path, const Table *tb) {
  double *scaled = malloc(2 * (size_t)tb->n * sizeof(double));
  if (!scaled) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory drawing %s", path);
  const double *src[2] = {tb->p, tb->w};
  PlotSeries s[2];
  for (int k = 0; k < 2; k++) {
    double vmax = 0, *v = scaled + (size_t)k * tb->n;
    for (int i = 0; i < tb->n; i++) vmax = fmax(vmax, src[k][i]);
    for (int i = 0; i < tb->n; i++) v[i] = vmax > 0 ? src[k][i] / vmax : NAN;
    s[k] = (PlotSeries){.x = tb->lambda, .y = v, .n = tb->n};
    memcpy(s[k].rgb, plot_color(k), 3);  // p blue, w orange
  }
  PlotAxes ax = {.x_min = tb->lambda[0], .x_max = tb->lambda[tb->n - 1], .y_min = 0, .y_max = 1.05,
                 .x_grid = 5, .y_grid = 0.25};
  int rc = plot_write_png(path, &ax, s, 2);
  free(scaled);
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

// Options of this command, collected by config_args_resolve's callback (first pass)
// and applied on top of the config's diffusion section afterwards.
typedef struct {
  int csv, points, n_keys;
  const char *png;
  const char *from_ckpt;
  const char *flag[32], *value[32];
  int error;  // a bad option seen by the callback (message already recorded)
} Options;

static int take_option(int argc, char **argv, int i, void *ctx) {
  Options *o = ctx;
  const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
  if (o->error) return 1;
  if (!strcmp(a, "--csv")) {
    o->csv = 1;
    return 1;
  }
  if (!strcmp(a, "--png") || !strcmp(a, "--points") || !strcmp(a, "--from-checkpoint")) {
    if (!next) {
      o->error = vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", a);
      return 1;
    }
    if (!strcmp(a, "--from-checkpoint")) {
      o->from_ckpt = next;
    } else if (!strcmp(a, "--png")) {
      o->png = next;
    } else {
      char *end;
      long v = strtol(next, &end, 10);
      if (*end || end == next || v < 2 || v > 1000000)
        o->error = vdmc_fail(VDMC_ERR_INPUT, "--points: expected an integer in [2, 1000000], got '%s'", next);
      o->points = (int)v;
    }
    return 2;
  }
  if (o->n_keys == 32) {
    o->error = vdmc_fail(VDMC_ERR_INPUT, "too many options");
    return 1;
  }
  o->flag[o->n_keys] = a;
  o->value[o->n_keys++] = next;
  return next ? 2 : 1;
}

static int run(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return -1;
    }
  Options opt = {.points = 401};
  ConfigSet cs;
  int rc = config_args_resolve(&cs, argc - 1, argv + 1, take_option, &opt);
  if (rc) return rc;
  if (opt.error) return opt.error;
  char *text = NULL, resolved[4096] = "";
  if (opt.from_ckpt) {  // the run's own config (the checkpoint's extras come below)
    if ((rc = checkpoint_peek(opt.from_ckpt, &text, NULL, NULL, NULL, resolved))) return rc;
    rc = config_init_defaults(&cs);
    if (!rc) rc = config_load_text(&cs, text, resolved);
    free(text);
    if (rc) return rc;
  }
  DiffusionSpec spec;
  if ((rc = diffusion_spec_from_config(&spec, &cs))) return rc;
  for (int k = 0; k < opt.n_keys; k++) {
    char key[64];
    if (!spec_key(opt.flag[k], key, sizeof key)) return flag_unknown(opt.flag[k], "schedule");
    rc = diffusion_spec_set(&spec, key, opt.value[k], opt.flag[k]);
    if (rc && strstr(vdmc_error_message(), "unknown diffusion key")) return flag_unknown(opt.flag[k], "schedule");
    if (rc) return rc;
  }
  int csv = opt.csv, points = opt.points;
  const char *png = opt.png;
  if (!csv && !png) return vdmc_fail(VDMC_ERR_INPUT, "nothing to do: pass --csv and/or --png FILE");

  Objective obj;
  if ((rc = objective_build(&obj, &spec, cs.values.diffusion.adaptive_decay))) {
    objective_free(&obj);
    return rc;
  }
  int trained = 0;  // the checkpoint held the state of the schedule shown
  const char *extras[2] = {OBJECTIVE_ADAPTIVE_EXTRA, LEARNED_CHECKPOINT_EXTRA};
  for (int k = 0; k < 2 && opt.from_ckpt && !rc; k++) {
    if (!(k == 0 ? obj.use_adaptive : obj.use_learned)) continue;
    double *values = NULL;
    size_t n = 0;
    rc = checkpoint_peek(opt.from_ckpt, &text, extras[k], &values, &n, resolved);
    if (!rc) free(text);
    // a run without bins shows the initial adaptive schedule; a learned one must have its extra
    if (!rc && (n || k == 1)) rc = objective_take_extra(&obj, extras[k], values, n, resolved);
    trained = !rc && n;
    free(values);
  }
  if (!rc && trained) rc = objective_extras_loaded(&obj);
  if (!rc && (obj.use_adaptive || obj.use_learned) && !trained)
    fprintf(stderr, "vdmc schedule: %s schedule shown in its initial state (no checkpoint)\n",
            schedule_kind_name(obj.schedule.kind));
  const Schedule *sch = &obj.schedule;
  const Weighting *w = &obj.weighting;
  Table tb = {calloc(points, sizeof(double)), calloc(points, sizeof(double)), calloc(points, sizeof(double)),
              calloc(points, sizeof(double)), points};
  if (!rc && (!tb.lambda || !tb.t || !tb.p || !tb.w)) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  if (!rc) {
    for (int i = 0; i < points; i++) {
      double l = sch->lambda_min + (sch->lambda_max - sch->lambda_min) * i / (points - 1);
      tb.lambda[i] = l;
      tb.t[i] = schedule_time(sch, l);
      tb.p[i] = schedule_density(sch, l);
      tb.w[i] = weighting_eval(w, l);
    }
    if (csv) {
      printf("# schedule=%s weighting=%s lambda_min=%g lambda_max=%g monotonic_weighting=%d\n",
             spec.shifted_schedule ? "shifted-cosine" : schedule_kind_name(sch->kind), weighting_kind_name(w->kind),
             sch->lambda_min, sch->lambda_max, weighting_is_monotonic(w->kind));
      printf("lambda,t,p,w,w_over_p\n");
      for (int i = 0; i < points; i++)
        printf("%.10g,%.10g,%.10g,%.10g,%.10g\n", tb.lambda[i], tb.t[i], tb.p[i], tb.w[i], tb.w[i] / tb.p[i]);
    }
    if (png) rc = write_plot(png, &tb);
  }
  free(tb.lambda), free(tb.t), free(tb.p), free(tb.w);
  objective_free(&obj);
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
