// The train-side TensorBoard writer (train/train_tb.h): which tags, which steps, and
// what a failed write does. Encoding and framing are io/tb_events.c.
#define _POSIX_C_SOURCE 200809L  // clock_gettime
#include "train/train_tb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fs.h"
#include "core/status.h"
#include "io/png_header.h"
#include "io/tb_events.h"

enum { TAG_LEN = 64, SCALARS_MAX = 11 + 3 * PHASE_COUNT };  // log.jsonl's numbers but the step

typedef struct {
  char tag[TAG_LEN];
  long long step;
} TagStep;

struct TrainTb {
  char dir[4200];
  TbEventFile file;     // fd -1 until the first event this process writes
  int failed;           // a write failed: nothing more from this process
  long long name_time;  // the <time> of this process's file name
  TagStep *done;        // per tag: the last step in files of earlier processes
  int n_done, cap_done;
};

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long long last_step(const struct TrainTb *tb, const char *tag) {
  for (int i = 0; i < tb->n_done; i++)
    if (!strcmp(tb->done[i].tag, tag)) return tb->done[i].step;
  return -1;
}

// Tags longer than TAG_LEN are not vdmc's; they cannot collide with its own.
static void note_step(void *ctx, const char *tag, long long step) {
  struct TrainTb *tb = ctx;
  if (strlen(tag) >= TAG_LEN) return;
  for (int i = 0; i < tb->n_done; i++)
    if (!strcmp(tb->done[i].tag, tag)) {
      if (step > tb->done[i].step) tb->done[i].step = step;
      return;
    }
  if (tb->n_done == tb->cap_done) {
    int cap = tb->cap_done ? 2 * tb->cap_done : 64;
    TagStep *grown = realloc(tb->done, (size_t)cap * sizeof *grown);
    if (!grown) return;  // then the tag counts as new: a duplicate step, never a lost one
    tb->done = grown;
    tb->cap_done = cap;
  }
  snprintf(tb->done[tb->n_done].tag, TAG_LEN, "%s", tag);
  tb->done[tb->n_done++].step = step;
}

static void note_problem(void *ctx, const char *path, const char *why) {
  (void)ctx;
  fprintf(stderr, "vdmc train: warning: %s: %s; TensorBoard stops reading that file there too, "
          "its earlier records stay\n", path, why);
}

int train_tb_open(struct TrainTb **out, const Trainer *t) {
  *out = NULL;
  if (t->comm.rank != 0) return VDMC_OK;
  struct TrainTb *tb = calloc(1, sizeof *tb);
  if (!tb) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the TensorBoard writer");
  tb->file.fd = -1;
  snprintf(tb->dir, sizeof tb->dir, "%s/tb", t->run_dir);
  TbScan scan;
  int rc = fs_mkdir_p(tb->dir);
  if (!rc) rc = tb_scan_dir(tb->dir, note_step, note_problem, tb, &scan);
  if (rc) {
    rc = vdmc_fail(rc, "%s (TensorBoard event files; run.tensorboard: false turns them off)", vdmc_error_message());
    train_tb_close(tb);
    return rc;
  }
  // TensorBoard reads a directory's files in name order and takes a step lower than
  // one it has seen as a restart: this file's name must sort after every earlier one.
  tb->name_time = (long long)time(NULL);
  if (tb->name_time <= scan.newest_name_time) tb->name_time = scan.newest_name_time + 1;
  *out = tb;
  return VDMC_OK;
}

// Writes the values whose tag has no step >= `step` yet; the first write creates the file.
static void write_values(struct TrainTb *tb, long long step, TbValue *v, int n) {
  if (!tb || tb->failed) return;
  int keep = 0;
  for (int i = 0; i < n; i++)
    if (step > last_step(tb, v[i].tag)) v[keep++] = v[i];
  if (!keep) return;
  double now = wall_now();
  int rc = tb->file.fd >= 0 ? VDMC_OK : tb_file_create(&tb->file, tb->dir, tb->name_time, now);
  if (!rc) rc = tb_file_write(&tb->file, now, step, v, keep);
  if (rc) {
    tb->failed = 1;
    tb_file_close(&tb->file);
    fprintf(stderr, "vdmc train: warning: no more TensorBoard events from this process: %s "
            "(training, log.jsonl and checkpoints go on; a restart writes a new event file)\n",
            vdmc_error_message());
  }
}

// The adaptive schedule's density: bin k's probability mass value_k / sum(value) over
// (lambda_min + k w, lambda_min + (k+1) w]; sum and sum_squares are the exact first two
// moments of that piecewise-uniform density.
static void density_histogram(const AdaptiveSchedule *a, double *limit, double *mass, TbValue *v) {
  double w = (a->lambda_max - a->lambda_min) / ADAPTIVE_BINS, total = 0, m1 = 0, m2 = 0;
  for (int k = 0; k < ADAPTIVE_BINS; k++) total += a->value[k];
  for (int k = 0; k < ADAPTIVE_BINS; k++) {
    double lo = a->lambda_min + k * w, c = lo + 0.5 * w;
    limit[k] = k == ADAPTIVE_BINS - 1 ? a->lambda_max : lo + w;
    mass[k] = a->value[k] / total;
    m1 += mass[k] * c;
    m2 += mass[k] * (c * c + w * w / 12);
  }
  *v = (TbValue){.tag = "adaptive_schedule/density", .kind = TB_HISTOGRAM, .bucket_limit = limit, .bucket = mass,
                 .buckets = ADAPTIVE_BINS, .min = a->lambda_min, .max = a->lambda_max, .num = 1, .sum = m1,
                 .sum_squares = m2};
}

static void add_scalar(TbValue *v, int *n, const char *tag, double value) {
  v[(*n)++] = (TbValue){.tag = tag, .kind = TB_SCALAR, .scalar = value};
}

void train_tb_interval(struct TrainTb *tb, const Trainer *t, const TrainLogLine *x) {
  if (!tb) return;
  // the keys of log.jsonl, in its order (tests/cli/tensorboard.sh checks them against it)
  TbValue v[SCALARS_MAX + 1];
  char phase_tags[PHASE_COUNT][3][48];
  int n = 0;
  add_scalar(v, &n, "images", (double)x->images);
  add_scalar(v, &n, "loss", x->loss);
  add_scalar(v, &n, "loss_std", x->loss_std);
  add_scalar(v, &n, "loss_ema", x->loss_ema);
  add_scalar(v, &n, "lr", x->lr);
  add_scalar(v, &n, "grad_norm", x->grad_norm);
  add_scalar(v, &n, "img_per_s", x->img_per_s);
  add_scalar(v, &n, "eta_s", x->eta_s);
  add_scalar(v, &n, "skipped", (double)x->skipped);
  add_scalar(v, &n, "ranks", x->ranks);
  static const char *const stat[3] = {"min", "mean", "max"};
  for (int p = 0; p < PHASE_COUNT; p++) {
    const double value[3] = {x->phase_min[p], x->phase_mean[p], x->phase_max[p]};
    for (int s = 0; s < 3; s++) {
      snprintf(phase_tags[p][s], sizeof phase_tags[p][s], "phases/%s/%s", train_phase_names[p], stat[s]);
      add_scalar(v, &n, phase_tags[p][s], value[s]);
    }
  }
  add_scalar(v, &n, "sync_launched_early", x->sync_launched_early);
  double limit[ADAPTIVE_BINS], mass[ADAPTIVE_BINS];
  if (t->run.obj.use_adaptive) density_histogram(&t->run.obj.adaptive, limit, mass, &v[n++]);
  write_values(tb, x->step, v, n);
}

void train_tb_eval(struct TrainTb *tb, const TrainEvalLine *x) {
  if (!tb) return;
  TbValue v[9];  // the keys of train_log_eval's line, in its order
  int n = 0;
  add_scalar(v, &n, "eval_bpd", x->bpd);
  add_scalar(v, &n, "eval_bpd_se", x->bpd_se);
  add_scalar(v, &n, "eval_n", (double)x->n);
  if (x->has_fid) {
    add_scalar(v, &n, "eval_fid", x->fid);
    add_scalar(v, &n, "eval_is", x->is_mean);
    add_scalar(v, &n, "eval_is_std", x->is_std);
    add_scalar(v, &n, "eval_fid_n", (double)x->fid_n);
  }
  add_scalar(v, &n, "eval_s", x->seconds);
  add_scalar(v, &n, "eval_fraction", x->fraction);
  write_values(tb, x->step, v, n);
}

void train_tb_samples(struct TrainTb *tb, const Trainer *t, const char *png_path) {
  if (!tb || tb->failed || t->step <= last_step(tb, "samples")) return;
  uint8_t *png = NULL;
  size_t len = 0;
  int rc = fs_read_file(png_path, &png, &len, TB_RECORD_MAX / 2);
  TbValue v = {.tag = "samples", .kind = TB_IMAGE};
  if (!rc) rc = png_header_read(png, len, png_path, &v.width, &v.height, &v.colorspace);
  if (rc) {
    // the grid on disk is the record: only its TensorBoard copy is missing
    fprintf(stderr, "vdmc train: warning: no TensorBoard image of step %lld: %s\n", (long long)t->step,
            vdmc_error_message());
  } else {
    v.png = png;
    v.png_len = len;
    write_values(tb, t->step, &v, 1);
  }
  free(png);
}

void train_tb_close(struct TrainTb *tb) {
  if (!tb) return;
  tb_file_close(&tb->file);
  free(tb->done);
  free(tb);
}
