#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int n_pass, n_fail;

void check_true(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    n_pass++;
    return;
  }
  n_fail++;
  fprintf(stderr, "FAIL %s:%d: ", file, line);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

void check_close(double a, double b, double rtol, double atol, const char *file, int line,
                 const char *what) {
  int ok = isfinite(a) && isfinite(b) && fabs(a - b) <= atol + rtol * fabs(b);
  check_true(ok, file, line, "%s: got %.10g, expected %.10g (rtol %g, atol %g)", what, a, b,
             rtol, atol);
}

double check_arrays(const float *a, const float *b, size_t n, double tol, const char *file,
                    int line, const char *what) {
  double maxref = 0, maxdiff = 0;
  size_t worst = 0;
  int finite = 1;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(a[i])) finite = 0;
    double d = fabs((double)a[i] - (double)b[i]);
    if (d > maxdiff) {
      maxdiff = d;
      worst = i;
    }
    if (fabs(b[i]) > maxref) maxref = fabs(b[i]);
  }
  double err = maxdiff / (maxref + 1e-30);
  if (maxref == 0) err = maxdiff;
  check_true(finite && err <= tol, file, line,
             "%s: max rel err %.3g > %.3g (at %zu: got %.8g, ref %.8g, n=%zu)%s", what, err, tol,
             worst, n ? a[worst] : 0.0, n ? b[worst] : 0.0, n, finite ? "" : " [non-finite]");
  return err;
}

int check_finish(const char *suite) {
  printf("%s: %d passed, %d failed\n", suite, n_pass, n_fail);
  return n_fail ? 1 : 0;
}

void fill_uniform(float *x, size_t n, unsigned seed, float lo, float hi) {
  unsigned long long s = 0x9E3779B97F4A7C15ull ^ (seed * 0x100000001B3ull);
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    double u = (double)(s >> 11) / 9007199254740992.0;
    x[i] = lo + (hi - lo) * (float)u;
  }
}
