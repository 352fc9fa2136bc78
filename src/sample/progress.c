#define _POSIX_C_SOURCE 200809L
#include "sample/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double progress_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void progress_start(Progress *p, const char *what, const char *unit, long long total, int enabled) {
  p->what = what;
  p->unit = unit;
  p->total = total;
  p->done = 0;
  p->start = p->last_draw = progress_now();
  p->enabled = enabled;
}

// On a terminal one line is redrawn in place; into a file or a Slurm log it is
// a new line at most every 30 s, so logs stay readable.
static void draw(const Progress *p, double now) {
  double el = now - p->start, rate = el > 0 ? p->done / el : 0;
  double eta = rate > 0 ? (p->total - p->done) / rate : 0;
  int tty = isatty(fileno(stderr));
  fprintf(stderr, "%s%s: %lld/%lld %s, %.2f %s/s, elapsed %.0fs, ETA %.0fs%s", tty ? "\r" : "", p->what,
          p->done, p->total, p->unit, rate, p->unit, el, eta, tty ? "   " : "\n");
  fflush(stderr);
}

void progress_add(Progress *p, long long units) {
  p->done += units;
  if (!p->enabled) return;
  double now = progress_now();
  if (now - p->last_draw < (isatty(fileno(stderr)) ? 0.5 : 30.0)) return;
  p->last_draw = now;
  draw(p, now);
}

void progress_finish(Progress *p) {
  if (!p->enabled) return;
  draw(p, progress_now());
  if (isatty(fileno(stderr))) fputc('\n', stderr);
}
