#define _POSIX_C_SOURCE 200809L  // getline
#include "run_log.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

// Every field a log interval must have: "name" or "phases.<phase>.<stat>" -> its slot.
enum { TOP_FIELDS = 11, FIELDS = TOP_FIELDS + 3 * PHASE_COUNT, KEY_MAX = 96, PAIRS_MAX = 128 };
static const struct {
  const char *name;
  size_t offset;
} top_fields[TOP_FIELDS] = {
    {"step", offsetof(RunLogRecord, step)},
    {"images", offsetof(RunLogRecord, images)},
    {"loss", offsetof(RunLogRecord, loss)},
    {"loss_ema", offsetof(RunLogRecord, loss_ema)},
    {"lr", offsetof(RunLogRecord, lr)},
    {"grad_norm", offsetof(RunLogRecord, grad_norm)},
    {"img_per_s", offsetof(RunLogRecord, img_per_s)},
    {"eta_s", offsetof(RunLogRecord, eta_s)},
    {"skipped", offsetof(RunLogRecord, skipped)},
    {"ranks", offsetof(RunLogRecord, ranks)},
    {"sync_launched_early", offsetof(RunLogRecord, sync_launched_early)},
};
static const char *const stat_names[3] = {"min", "mean", "max"};

// The fields of an evaluation line; fid: one of the four that come together.
enum { EVAL_FIELDS = 9 };
static const struct {
  const char *name;
  size_t offset;
  int fid;
} eval_fields[EVAL_FIELDS] = {
    {"step", offsetof(RunLogEval, step), 0},
    {"images", offsetof(RunLogEval, images), 0},
    {"eval_bpd", offsetof(RunLogEval, bpd), 0},
    {"eval_bpd_se", offsetof(RunLogEval, bpd_se), 0},
    {"eval_n", offsetof(RunLogEval, n), 0},
    {"eval_fid", offsetof(RunLogEval, fid), 1},
    {"eval_is", offsetof(RunLogEval, is_mean), 1},
    {"eval_is_std", offsetof(RunLogEval, is_std), 1},
    {"eval_fid_n", offsetof(RunLogEval, fid_n), 1},
};

// The flattened name of interval field i ("loss", "phases.forward.mean").
static void field_name(int i, char *out, size_t cap) {
  if (i < TOP_FIELDS) snprintf(out, cap, "%s", top_fields[i].name);
  else snprintf(out, cap, "phases.%s.%s", train_phase_names[(i - TOP_FIELDS) / 3], stat_names[(i - TOP_FIELDS) % 3]);
}

static double *field_slot(RunLogRecord *r, int i) {
  if (i < TOP_FIELDS) return (double *)((char *)r + top_fields[i].offset);
  PhaseStat *ps = &r->phase[(i - TOP_FIELDS) / 3];
  int s = (i - TOP_FIELDS) % 3;
  return s == 0 ? &ps->min : s == 1 ? &ps->mean : &ps->max;
}

// One line's numbers by flattened key ("phases.forward.mean"), in line order.
typedef struct {
  char key[2 * KEY_MAX + 1];
  double value;
} Pair;

typedef struct {
  const char *s, *line_start;
  const char *path;
  int line;
  Pair pair[PAIRS_MAX];
  int n_pairs;
} Parser;

static int parse_fail(const Parser *p, const char *what) {
  return vdmc_fail(VDMC_ERR_IO, "%s:%d: column %d: %s (expected one JSON object per line, as written by vdmc train)",
                   p->path, p->line, (int)(p->s - p->line_start) + 1, what);
}

static void skip_ws(Parser *p) {
  while (*p->s == ' ' || *p->s == '\t') p->s++;
}

// A key: "..." without escapes, at most KEY_MAX - 1 characters.
static int parse_key(Parser *p, char *out, size_t cap) {
  if (*p->s != '"') return parse_fail(p, "expected '\"' starting a key");
  const char *b = ++p->s;
  while (*p->s && *p->s != '"' && *p->s != '\\') p->s++;
  if (*p->s != '"') return parse_fail(p, "unterminated key or escape in key");
  if ((size_t)(p->s - b) >= cap) return parse_fail(p, "key too long");
  memcpy(out, b, (size_t)(p->s - b));
  out[p->s - b] = 0;
  p->s++;
  return VDMC_OK;
}

// The value of key in this line, or NULL.
static const double *find(const Parser *p, const char *key) {
  for (int i = 0; i < p->n_pairs; i++)
    if (!strcmp(p->pair[i].key, key)) return &p->pair[i].value;
  return NULL;
}

static int parse_object(Parser *p, const char *prefix, int depth);

static int parse_value(Parser *p, const char *key, int depth) {
  if (*p->s == '{') {
    if (depth >= 2) return parse_fail(p, "objects nested deeper than phases.<name>.<stat>");
    return parse_object(p, key, depth + 1);
  }
  char msg[3 * KEY_MAX];
  if (*p->s != '-' && !isdigit((unsigned char)*p->s)) {
    snprintf(msg, sizeof msg, "value of \"%s\" is not a number", key);
    return parse_fail(p, msg);
  }
  char *end;
  errno = 0;
  double v = strtod(p->s, &end);
  if (end == p->s || errno == ERANGE) return parse_fail(p, "bad number");
  p->s = end;
  if (find(p, key)) {
    snprintf(msg, sizeof msg, "key \"%s\" repeated", key);
    return parse_fail(p, msg);
  }
  if (p->n_pairs == PAIRS_MAX) return parse_fail(p, "more than 128 numbers in one line");
  snprintf(p->pair[p->n_pairs].key, sizeof p->pair[p->n_pairs].key, "%s", key);
  p->pair[p->n_pairs++].value = v;
  return VDMC_OK;
}

// '{' key ':' value (',' key ':' value)* '}'; keys of nested objects become "outer.inner".
static int parse_object(Parser *p, const char *prefix, int depth) {
  if (*p->s != '{') return parse_fail(p, "expected '{'");
  p->s++;
  skip_ws(p);
  if (*p->s == '}') {
    p->s++;
    return VDMC_OK;
  }
  for (;;) {
    char key[KEY_MAX], full[2 * KEY_MAX + 1];
    skip_ws(p);
    int rc = parse_key(p, key, sizeof key);
    if (rc) return rc;
    snprintf(full, sizeof full, "%s%s%s", prefix, *prefix ? "." : "", key);
    skip_ws(p);
    if (*p->s != ':') return parse_fail(p, "expected ':' after a key");
    p->s++;
    skip_ws(p);
    if ((rc = parse_value(p, full, depth))) return rc;
    skip_ws(p);
    if (*p->s == '}') {
      p->s++;
      return VDMC_OK;
    }
    if (*p->s != ',') return parse_fail(p, "expected ',' or '}'");
    p->s++;
  }
}

static int missing(const Parser *p, const char *key, const char *why) {
  char msg[3 * KEY_MAX];
  snprintf(msg, sizeof msg, "missing key \"%s\"%s", key, why);
  return parse_fail(p, msg);
}

// A phase that logs of an older vdmc lack, and whose time they counted in another phase,
// so that reading it as 0 keeps the step's sum exact: the all-gather (added 2026-12-07;
// before, it was part of "optimizer").
// Only the whole phase may be absent: one stat without the others is a damaged line.
static int phase_split_later_absent(const Parser *p, int i) {
  if (i < TOP_FIELDS || (i - TOP_FIELDS) / 3 != PHASE_ALLGATHER) return 0;
  int first = TOP_FIELDS + 3 * PHASE_ALLGATHER;
  for (int k = first; k < first + 3; k++) {
    char name[KEY_MAX];
    field_name(k, name, sizeof name);
    if (find(p, name)) return 0;
  }
  return 1;
}

static int take_interval(const Parser *p, RunLogRecord *r) {
  memset(r, 0, sizeof *r);
  for (int i = 0; i < FIELDS; i++) {
    char name[KEY_MAX];
    field_name(i, name, sizeof name);
    const double *v = find(p, name);
    if (!v && phase_split_later_absent(p, i)) continue;  // 0, from the memset
    if (!v) return missing(p, name, i < TOP_FIELDS ? "" : " (a log of an older vdmc may lack a phase added since)");
    *field_slot(r, i) = *v;
  }
  return VDMC_OK;
}

static int take_eval(const Parser *p, RunLogEval *e) {
  memset(e, 0, sizeof *e);
  for (int i = 0; i < EVAL_FIELDS; i++)
    if (eval_fields[i].fid && find(p, eval_fields[i].name)) e->has_fid = 1;
  for (int i = 0; i < EVAL_FIELDS; i++) {
    if (eval_fields[i].fid && !e->has_fid) continue;
    const double *v = find(p, eval_fields[i].name);
    const char *why = eval_fields[i].fid ? " (an evaluation with a FID has eval_fid, eval_is, eval_is_std and "
                                           "eval_fid_n)"
                                         : " in an evaluation";
    if (!v) return missing(p, eval_fields[i].name, why);
    *(double *)((char *)e + eval_fields[i].offset) = *v;
  }
  return VDMC_OK;
}

// Parses one line into p->pair; *is_eval: it is an evaluation (it has eval_bpd).
static int parse_line(Parser *p, char *line, int *is_eval) {
  size_t len = strlen(line);
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
  p->s = p->line_start = line;
  p->n_pairs = 0;
  skip_ws(p);
  int rc = parse_object(p, "", 0);
  if (rc) return rc;
  skip_ws(p);
  if (*p->s) return parse_fail(p, "text after the object");
  *is_eval = find(p, "eval_bpd") != NULL;
  return VDMC_OK;
}

// Room for one more element of *items (count used, *cap allocated).
static int grow(void **items, int count, int *cap, size_t size) {
  if (count < *cap) return VDMC_OK;
  int want = *cap ? 2 * *cap : 64;
  void *grown = realloc(*items, (size_t)want * size);
  if (!grown) return VDMC_ERR_MEMORY;
  *items = grown;
  *cap = want;
  return VDMC_OK;
}

int run_log_read(RunLog *log, const char *path) {
  memset(log, 0, sizeof *log);
  FILE *f = fopen(path, "r");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  Parser *p = calloc(1, sizeof *p);
  char *line = NULL;
  size_t cap = 0;
  int cap_rec = 0, cap_eval = 0, rc = p ? VDMC_OK : vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
  if (p) p->path = path;
  while (!rc && getline(&line, &cap, f) >= 0) {
    p->line++;
    int is_eval;
    if ((rc = parse_line(p, line, &is_eval))) break;
    if (is_eval ? grow((void **)&log->eval, log->n_eval, &cap_eval, sizeof *log->eval)
                : grow((void **)&log->rec, log->n, &cap_rec, sizeof *log->rec))
      rc = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory at line %d", path, p->line);
    else if (is_eval) rc = take_eval(p, &log->eval[log->n_eval++]);
    else rc = take_interval(p, &log->rec[log->n++]);
  }
  free(line);
  free(p);
  fclose(f);
  if (!rc && log->n == 0) rc = vdmc_fail(VDMC_ERR_IO, "%s: no records (did the run reach its first log interval?)", path);
  if (rc) run_log_free(log);
  return rc;
}

void run_log_free(RunLog *log) {
  free(log->rec);
  free(log->eval);
  memset(log, 0, sizeof *log);
}

double run_log_step_seconds(const RunLogRecord *r) {
  double s = 0;
  for (int p = 0; p < PHASE_COUNT; p++) s += r->phase[p].mean;
  return s;
}

void run_log_average(const RunLog *log, int first, RunLogRecord *out) {
  if (first > log->n - 1) first = log->n - 1;
  if (first < 0) first = 0;
  memset(out, 0, sizeof *out);
  int k = log->n - first;
  for (int i = 0; i < FIELDS; i++) {
    double *o = field_slot(out, i);
    for (int r = first; r < log->n; r++) *o += *field_slot(&log->rec[r], i) / k;
  }
}
