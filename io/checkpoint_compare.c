// checkpoint_compare: everything two checkpoints hold, side by side (what `vdmc
// compare` prints). Both files are validated and every checksum is verified against
// the data read, so a difference is a difference in content, not damage.
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"
#include "io/h5_check.h"

#define COMPARE_PIECE ((size_t)1 << 20)  // elements per read

typedef struct {
  const char *path;
  hid_t file;
  CkptHeader head;
} Side;

static int differs(CheckpointCompare *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int differs(CheckpointCompare *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(r->out, fmt, ap);
  va_end(ap);
  r->differences++;
  return VDMC_OK;
}

static int open_side(Side *s, const char *path) {
  int status = VDMC_OK;
  s->path = path;
  s->file = H5I_INVALID_HID;
  VDMC_CHECK(ckpt_file_open(path, MPI_COMM_NULL, &s->file));
  VDMC_CHECK(ckpt_header_read(s->file, path, &s->head));
cleanup:
  return status;
}

static void compare_headers(const Side *a, const Side *b, CheckpointCompare *r) {
  const CkptHeader *x = &a->head, *y = &b->head;
  if (strcmp(x->written_by, y->written_by)) differs(r, "vdmc_version: %s vs %s  DIFFERS\n", x->written_by, y->written_by);
  if (x->step != y->step) differs(r, "step: %lld vs %lld  DIFFERS\n", (long long)x->step, (long long)y->step);
  if (x->images_seen != y->images_seen)
    differs(r, "images_seen: %lld vs %lld  DIFFERS\n", (long long)x->images_seen, (long long)y->images_seen);
  if (x->seed != y->seed)
    differs(r, "seed: %llu vs %llu  DIFFERS\n", (unsigned long long)x->seed, (unsigned long long)y->seed);
  if (x->total != y->total)
    differs(r, "total: %llu vs %llu floats  DIFFERS\n", (unsigned long long)x->total, (unsigned long long)y->total);
  // The ranks that wrote a file say nothing about its content: P-invariance is
  // exactly what compare is used to check.
  if (x->world_size != y->world_size)
    fprintf(r->out, "world_size: %d vs %d (written at different rank counts; not a difference)\n",
            (int)x->world_size, (int)y->world_size);
}

static int read_rows(const Side *s, CkptTensorRow **rows, size_t *n) {
  return ckpt_rows_read(s->file, s->path, s->head.total, H5P_DEFAULT, MPI_COMM_NULL, rows, n);
}

static int same_row(const CkptTensorRow *x, const CkptTensorRow *y) {
  if (strcmp(x->name, y->name) || x->ndim != y->ndim || x->offset != y->offset || x->decay != y->decay) return 0;
  for (int d = 0; d < x->ndim; d++)
    if (x->shape[d] != y->shape[d]) return 0;
  return 1;
}

// "'name' [8, 3, 3, 3] at offset 0, decay 1" or "(none)" past the end of the table.
static void describe_row(const CkptTensorRow *rows, size_t n, size_t i, char *out, size_t cap) {
  char shape[128];
  if (i >= n) {
    snprintf(out, cap, "(none)");
    return;
  }
  ckpt_format_shape(rows[i].shape, rows[i].ndim, shape, sizeof shape);
  snprintf(out, cap, "'%s' %s at offset %llu, decay %d", rows[i].name, shape, (unsigned long long)rows[i].offset,
           (int)rows[i].decay);
}

static int compare_tensors(const Side *a, const Side *b, CheckpointCompare *r) {
  CkptTensorRow *x = NULL, *y = NULL;
  size_t nx = 0, ny = 0;
  int status = read_rows(a, &x, &nx);
  if (!status) status = read_rows(b, &y, &ny);
  if (!status) {
    size_t i = 0;
    while (i < nx && i < ny && same_row(&x[i], &y[i])) i++;
    if (i < nx || i < ny) {
      char dx[256], dy[256];
      describe_row(x, nx, i, dx, sizeof dx);
      describe_row(y, ny, i, dy, sizeof dy);
      differs(r, "tensors: %zu vs %zu; first difference at row %zu: %s vs %s  DIFFERS\n", nx, ny, i, dx, dy);
    } else
      fprintf(r->out, "tensors: %zu, same names, shapes and offsets  ok\n", nx);
  }
  free(x);
  free(y);
  return status;
}

static int read_config(const Side *s, char **text, size_t *len) {
  int status = VDMC_OK;
  hid_t dset = H5I_INVALID_HID;
  *text = NULL;
  VDMC_CHECK(ckpt_open_config(s->file, s->path, len, &dset));
  if (!(*text = calloc(*len + 1, 1))) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory for the config", s->path);
    goto cleanup;
  }
  VDMC_CHECK(ckpt_transfer(dset, H5T_NATIVE_CHAR, *text, 1, 0, *len, H5P_DEFAULT, 0, MPI_COMM_NULL));
  VDMC_CHECK(ckpt_crc_check(dset, s->path, "the config text", *text, *len));
  VDMC_CHECK(ckpt_config_check(s->path, *text, *len));
cleanup:
  if (dset >= 0) H5Dclose(dset);
  return status;
}

// Keys of the resolved config that say how a run was executed (rank layout: buckets,
// ZeRO stage, threads and progress give the same sums, docs/mpi.md; accumulation,
// logging, checkpoint and evaluation cadence: evaluation during training does not change
// the training bits, tests/cli/train_eval.sh; attention's probabilities saved or
// recomputed, memory for time with the same bits, tests/cli/train_attention_probs.sh),
// not what it computes: like world_size, a difference in them is reported but is not a
// difference in content. Not mpi.reduce_precision: a bf16 gradient sum rounds every
// partial sum, so it changes what the run computes.
static const char *const kExecutionKeys[] = {"mpi.bucket_mb:", "mpi.zero_stage:", "mpi.threads_per_rank:",
                                             "mpi.progress:", "optim.micro_batch:", "model.attention_probs:",
                                             "run.log_every:",
                                             "run.checkpoint_every:", "run.sample_every:",
                                             "run.keep_checkpoints:", "run.eval_every:", "run.eval_every_images:",
                                             "run.keep_best:",
                                             "eval."};

// "section.key: value" of a line of the resolved config (config_write_yaml writes
// "section:" lines and "  key: value" lines), given the last section seen.
static void qualified_line(const char *line, size_t len, const char *section, char *out, size_t cap) {
  size_t indent = strspn(line, " ");
  if (indent == 0) snprintf(out, cap, "%.*s", (int)len, line);
  else snprintf(out, cap, "%s.%.*s", section, (int)(len - indent), line + indent);
}

static int is_execution_key(const char *qualified) {
  for (size_t i = 0; i < sizeof kExecutionKeys / sizeof kExecutionKeys[0]; i++)
    if (!strncmp(qualified, kExecutionKeys[i], strlen(kExecutionKeys[i]))) return 1;
  return 0;
}

// Line by line: both texts are resolved configs of the same layout (every key, in
// schema order); a different line count means different vdmc versions.
static void diff_config(const char *x, const char *y, CheckpointCompare *r) {
  char section[64] = "", qx[320], qy[320];
  int line = 1;
  for (const char *p = x, *q = y; *p || *q; line++) {
    size_t lp = strcspn(p, "\n"), lq = strcspn(q, "\n");
    if (!*p || !*q) {
      differs(r, "config: different layouts from line %d on (written by different vdmc versions?)  DIFFERS\n", line);
      return;
    }
    if (lp && p[0] != ' ' && p[0] != '#') snprintf(section, sizeof section, "%.*s", (int)strcspn(p, ":"), p);
    if (lp != lq || memcmp(p, q, lp)) {
      qualified_line(p, lp, section, qx, sizeof qx);
      qualified_line(q, lq, section, qy, sizeof qy);
      if (line == 1 && p[0] == '#')
        ;  // the header names where the config came from
      else if (is_execution_key(qx))
        fprintf(r->out, "config: %s vs %s (how the run was executed; not a difference)\n", qx, qy);
      else
        differs(r, "config: line %d: %s vs %s  DIFFERS\n", line, qx, qy);
    }
    p += lp + (p[lp] == '\n');
    q += lq + (q[lq] == '\n');
  }
}

static int compare_config(const Side *a, const Side *b, CheckpointCompare *r) {
  char *x = NULL, *y = NULL;
  size_t nx = 0, ny = 0;
  int status = read_config(a, &x, &nx);
  if (!status) status = read_config(b, &y, &ny);
  if (!status && (nx != ny || memcmp(x, y, nx))) diff_config(x, y, r);
  else if (!status) fprintf(r->out, "config: %zu bytes, identical  ok\n", nx);
  free(x);
  free(y);
  return status;
}

static int has_name(const CkptNameList *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (!strcmp(l->names[i], name)) return 1;
  return 0;
}

// One dataset of one side being read piece by piece, checksummed as it goes.
typedef struct {
  hid_t dset;
  size_t n;
  uint32_t crc;
  double *values;
} Stream;

static int stream_open(const Side *s, const char *where, Stream *st) {
  memset(st, 0, sizeof *st);
  st->dset = H5I_INVALID_HID;
  int status = ckpt_open_1d(s->file, where, s->path, &st->n, &st->dset);
  if (!status && !(st->values = malloc(COMPARE_PIECE * sizeof(double))))
    status = vdmc_fail(VDMC_ERR_MEMORY, "checkpoint %s: out of memory comparing %s", s->path, where);
  return status;
}

// Reads elements [at, at + cnt) as double; the CRC runs over the stored bytes
// (float32 arrays, float64 extras), as the writer computed it.
static int stream_read(Stream *st, int is_float, size_t at, size_t cnt) {
  int status = VDMC_OK;
  if (is_float) {
    float *f = (float *)st->values;  // converted in place, back to front
    VDMC_CHECK(ckpt_transfer(st->dset, H5T_NATIVE_FLOAT, f, sizeof(float), at, cnt, H5P_DEFAULT, 0, MPI_COMM_NULL));
    st->crc = ckpt_crc_update(st->crc, f, cnt * sizeof(float));
    for (size_t i = cnt; i-- > 0;) st->values[i] = f[i];
  } else {
    VDMC_CHECK(ckpt_transfer(st->dset, H5T_NATIVE_DOUBLE, st->values, sizeof(double), at, cnt, H5P_DEFAULT, 0,
                             MPI_COMM_NULL));
    st->crc = ckpt_crc_update(st->crc, st->values, cnt * sizeof(double));
  }
cleanup:
  return status;
}

static int stream_verify(const Side *s, const Stream *st, const char *what) {
  uint32_t stored = 0;
  int status = ckpt_attr_read(st->dset, "crc32", H5T_NATIVE_UINT32, &stored, s->path);
  if (!status && stored != st->crc) status = ckpt_crc_mismatch(s->path, what, stored, st->crc);
  return status;
}

static void stream_close(Stream *st) {
  if (st->dset >= 0) H5Dclose(st->dset);
  free(st->values);
}

// max |a-b| / max |b| over the array; a NaN or infinity in one file where the other
// has a different value makes the difference infinite (never lost in a maximum).
static void accumulate(const double *a, const double *b, size_t n, double *maxdiff, double *maxref) {
  for (size_t i = 0; i < n; i++) {
    if (a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))) {
      if (isfinite(b[i]) && fabs(b[i]) > *maxref) *maxref = fabs(b[i]);
      continue;
    }
    double d = fabs(a[i] - b[i]);
    if (!isfinite(d)) d = INFINITY;
    if (d > *maxdiff) *maxdiff = d;
    if (isfinite(b[i]) && fabs(b[i]) > *maxref) *maxref = fabs(b[i]);
  }
}

static int compare_dataset(const Side *a, const Side *b, const char *group, const char *name, CheckpointCompare *r) {
  char where[96], what[96];
  snprintf(where, sizeof where, "%s/%s", group, name);
  snprintf(what, sizeof what, "%s '%s'", strcmp(group, "arrays") ? "extra" : "array", name);
  int is_float = !strcmp(group, "arrays");
  Stream x, y;
  int status = stream_open(a, where, &x);
  if (!status) status = stream_open(b, where, &y);
  else y.dset = H5I_INVALID_HID, y.values = NULL;
  double maxdiff = 0, maxref = 0;
  for (size_t at = 0; !status && at < x.n; at += COMPARE_PIECE) {
    size_t cnt = x.n - at < COMPARE_PIECE ? x.n - at : COMPARE_PIECE;
    if (x.n != y.n) break;
    status = stream_read(&x, is_float, at, cnt);
    if (!status) status = stream_read(&y, is_float, at, cnt);
    if (!status) accumulate(x.values, y.values, cnt, &maxdiff, &maxref);
  }
  if (!status && x.n == y.n) status = stream_verify(a, &x, what);
  if (!status && x.n == y.n) status = stream_verify(b, &y, what);
  if (!status) {
    double rel = x.n != y.n ? INFINITY : maxref > 0 ? maxdiff / maxref : maxdiff;
    int ok = x.n == y.n && rel <= r->tol;
    fprintf(r->out, "%-24s %10zu values  max rel diff %.3e  %s\n", where, x.n, rel,
            x.n != y.n ? "LENGTH DIFFERS" : ok ? "ok" : "DIFFERS");
    r->differences += !ok;
    r->arrays++;
    if (rel > r->worst) r->worst = rel;
  }
  stream_close(&x);
  stream_close(&y);
  return status;
}

static int compare_group(const Side *a, const Side *b, const char *group, CheckpointCompare *r) {
  CkptNameList la, lb;
  int status = ckpt_list_group(a->file, a->path, group, &la);
  if (!status) status = ckpt_list_group(b->file, b->path, group, &lb);
  for (int i = 0; !status && i < la.n; i++)
    if (has_name(&lb, la.names[i])) status = compare_dataset(a, b, group, la.names[i], r);
    else differs(r, "%s/%s: only in %s  DIFFERS\n", group, la.names[i], a->path);
  for (int i = 0; !status && i < lb.n; i++)
    if (!has_name(&la, lb.names[i])) differs(r, "%s/%s: only in %s  DIFFERS\n", group, lb.names[i], b->path);
  return status;
}

int checkpoint_compare(const char *path_a, const char *path_b, double tol, FILE *out, CheckpointCompare *r) {
  memset(r, 0, sizeof *r);
  r->tol = tol;
  r->out = out;
  Side a = {.file = H5I_INVALID_HID}, b = {.file = H5I_INVALID_HID};
  H5E_auto2_t func;
  void *data;
  ckpt_h5_quiet_begin(&func, &data);
  int status = open_side(&a, path_a);
  if (!status) status = open_side(&b, path_b);
  if (!status) compare_headers(&a, &b, r);
  if (!status) status = compare_tensors(&a, &b, r);
  if (!status) status = compare_config(&a, &b, r);
  if (!status) status = compare_group(&a, &b, "arrays", r);
  if (!status) status = compare_group(&a, &b, "extras", r);
  if (a.file >= 0) H5Fclose(a.file);
  if (b.file >= 0) H5Fclose(b.file);
  ckpt_h5_quiet_end(func, data);
  return status;
}
