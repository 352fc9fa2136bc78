// Minimal test harness: every failed check prints file:line and a message and
// bumps a counter; check_finish() prints "N passed, M failed" and returns the exit
// status (non-zero on any failure), so a test can never fail silently.
#ifndef VDMC_TEST_CHECK_H
#define VDMC_TEST_CHECK_H

#include <stddef.h>

void check_true(int ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
// |a - b| <= atol + rtol * |b| (b is the reference)
void check_close(double a, double b, double rtol, double atol, const char *file, int line,
                 const char *what);
// Max relative error of a vs reference b: max |a-b| / (max|b| + tiny); checks <= tol.
// Returns the error so tests can report the worst case.
double check_arrays(const float *a, const float *b, size_t n, double tol, const char *file,
                    int line, const char *what);
int check_finish(const char *suite);

#define CHECK(cond, ...) check_true((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_CLOSE(a, b, rtol, atol, what) check_close((a), (b), (rtol), (atol), __FILE__, __LINE__, (what))
#define CHECK_ARRAYS(a, b, n, tol, what) check_arrays((a), (b), (n), (tol), __FILE__, __LINE__, (what))

// Deterministic test data: uniform in [lo, hi) from a simple LCG seeded per call.
void fill_uniform(float *x, size_t n, unsigned seed, float lo, float hi);

#endif
