// A progress line on stderr (rank 0): work units done, units/s and ETA, redrawn
// at most twice a second, ended with a newline by progress_finish.
#ifndef VDMC_SAMPLE_PROGRESS_H
#define VDMC_SAMPLE_PROGRESS_H

typedef struct {
  const char *what;   // "sample", "eval"
  const char *unit;   // "steps", "examples"
  long long total, done;
  double start, last_draw;
  int enabled;        // 0: silent (ranks other than 0)
} Progress;

double progress_now(void);  // monotonic seconds
void progress_start(Progress *p, const char *what, const char *unit, long long total, int enabled);
void progress_add(Progress *p, long long units);
void progress_finish(Progress *p);

#endif
