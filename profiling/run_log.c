#define _POSIX_C_SOURCE 200809L  // getline
#include "run_log.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

// Every field a record must have: "name" or "phases.<phase>.<stat>" -> its slot.
enum { TOP_FIELDS = 11, FIELDS = TOP_FIELDS + 3 * PHASE_COUNT, KEY_MAX = 96 };
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

// Slot index of a flattened key, or -1 when the key is not one vdmc reads.
static int field_index(const char *key) {
  for (int i = 0; i < TOP_FIELDS; i++)
    if (!strcmp(key, top_fields[i].name)) return i;
  for (int p = 0; p < PHASE_COUNT; p++)
    for (int s = 0; s < 3; s++) {
      char full[KEY_MAX];
      snprintf(full, sizeof full, "phases.%s.%s", train_phase_names[p], stat_names[s]);
      if (!strcmp(key, full)) return TOP_FIELDS + 3 * p + s;
    }
  return -1;
}

static double *field_slot(RunLogRecord *r, int i) {
  if (i < TOP_FIELDS) return (double *)((char *)r + top_fields[i].offset);
  PhaseStat *ps = &r->phase[(i - TOP_FIELDS) / 3];
  int s = (i - TOP_FIELDS) % 3;
  return s == 0 ? &ps->min : s == 1 ? &ps->mean : &ps->max;
}

typedef struct {
  const char *s, *line_start;
  const char *path;
  int line;
  RunLogRecord *rec;
  int seen[FIELDS];
  int eval;  // the line is an evaluation (it has eval_bpd), not a log interval
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

static int parse_object(Parser *p, const char *prefix, int depth);

static int parse_value(Parser *p, const char *key, int depth) {
  if (*p->s == '{') {
    if (depth >= 2) return parse_fail(p, "objects nested deeper than phases.<name>.<stat>");
    return parse_object(p, key, depth + 1);
  }
  if (*p->s != '-' && !isdigit((unsigned char)*p->s)) {
    char msg[3 * KEY_MAX];
    snprintf(msg, sizeof msg, "value of \"%s\" is not a number", key);
    return parse_fail(p, msg);
  }
  char *end;
  errno = 0;
  double v = strtod(p->s, &end);
  if (end == p->s || errno == ERANGE) return parse_fail(p, "bad number");
  p->s = end;
  if (!strcmp(key, "eval_bpd")) p->eval = 1;
  int i = field_index(key);
  if (i < 0) return VDMC_OK;  // a field this reader does not use
  if (p->seen[i]) {
    char msg[3 * KEY_MAX];
    snprintf(msg, sizeof msg, "key \"%s\" repeated", key);
    return parse_fail(p, msg);
  }
  p->seen[i] = 1;
  *field_slot(p->rec, i) = v;
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

static int parse_line(Parser *p, char *line) {
  size_t len = strlen(line);
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
  p->s = p->line_start = line;
  memset(p->rec, 0, sizeof *p->rec);
  memset(p->seen, 0, sizeof p->seen);
  p->eval = 0;
  skip_ws(p);
  int rc = parse_object(p, "", 0);
  if (rc) return rc;
  skip_ws(p);
  if (*p->s) return parse_fail(p, "text after the object");
  if (p->eval) return VDMC_OK;  // evaluations during training: not a record of this reader
  for (int i = 0; i < FIELDS; i++)
    if (!p->seen[i]) {
      int ph = (i - TOP_FIELDS) / 3;
      char msg[KEY_MAX + 32];
      if (i < TOP_FIELDS) snprintf(msg, sizeof msg, "missing key \"%s\"", top_fields[i].name);
      else snprintf(msg, sizeof msg, "missing key \"phases.%s.%s\"", train_phase_names[ph], stat_names[(i - TOP_FIELDS) % 3]);
      return parse_fail(p, msg);
    }
  return VDMC_OK;
}

int run_log_read(RunLog *log, const char *path) {
  memset(log, 0, sizeof *log);
  FILE *f = fopen(path, "r");
  if (!f) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  Parser p = {.path = path};
  char *line = NULL;
  size_t cap = 0;
  int cap_rec = 0, rc = VDMC_OK;
  while (getline(&line, &cap, f) >= 0) {
    p.line++;
    if (log->n == cap_rec) {
      cap_rec = cap_rec ? 2 * cap_rec : 64;
      RunLogRecord *grown = realloc(log->rec, (size_t)cap_rec * sizeof *grown);
      if (!grown) {
        rc = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory at line %d", path, p.line);
        break;
      }
      log->rec = grown;
    }
    p.rec = &log->rec[log->n];
    if ((rc = parse_line(&p, line))) break;
    if (!p.eval) log->n++;
  }
  free(line);
  fclose(f);
  if (!rc && log->n == 0) rc = vdmc_fail(VDMC_ERR_IO, "%s: no records (did the run reach its first log interval?)", path);
  if (rc) run_log_free(log);
  return rc;
}

void run_log_free(RunLog *log) {
  free(log->rec);
  log->rec = NULL;
  log->n = 0;
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
