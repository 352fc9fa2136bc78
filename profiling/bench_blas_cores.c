// sgemm GFLOP/s of every OpenBLAS core type this CPU can run, as a ratio to
// the core OpenBLAS picks by itself (the baseline), each measured in a child
// process started with OPENBLAS_CORETYPE set (the library reads it only at load).
//   usage: bench_blas_cores [seconds per run (0.3)] [n (512)] [pairs per core (3)]
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas/blas_bench.h"
#include "blas/blas_select.h"

static int run_child(double seconds, int n) {
  long calls;
  double g = blas_sgemm_gflops(n, seconds, &calls);
  printf("%s %.3f %ld\n", openblas_get_corename(), g, calls);
  return g > 0 ? 0 : 1;
}

// Runs this program as a child with OPENBLAS_CORETYPE=core (NULL: unset) once.
static double measure(const char *self, const char *core, double seconds, int n, char *got) {
  char cmd[4400];
  if (core)
    snprintf(cmd, sizeof cmd, "OPENBLAS_CORETYPE=%s '%s' --child %g %d", core, self, seconds, n);
  else
    snprintf(cmd, sizeof cmd, "env -u OPENBLAS_CORETYPE '%s' --child %g %d", self, seconds, n);
  FILE *p = popen(cmd, "r");
  double g = -1;
  if (!p) return -1;
  if (fscanf(p, "%31s %lf", got, &g) != 2) g = -1;
  if (pclose(p) != 0) g = -1;
  return g;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "--child")) return run_child(atof(argv[2]), atoi(argv[3]));
  double seconds = argc > 1 ? atof(argv[1]) : 0.3;
  int n = argc > 2 ? atoi(argv[2]) : 512;
  int reps = argc > 3 ? atoi(argv[3]) : 3;
  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0 || seconds <= 0 || n <= 0 || reps <= 0 || reps > 64) {
    fprintf(stderr, "usage: bench_blas_cores [seconds > 0] [n > 0] [pairs 1..64]\n");
    return 2;
  }
  self[len] = '\0';
  CpuFeatures f;
  cpu_features_detect(&f);
  printf("sgemm %d x %d x %d, %.2f s per run, %d interleaved (baseline, core) pairs per core\n",
         n, n, n, seconds, reps);
  printf("baseline: the core OpenBLAS picks by itself (OPENBLAS_CORETYPE unset); ratio = median "
         "of core/baseline over the pairs\n");
  static const char *cores[] = {"Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell", "Zen",
                                "SkylakeX", "Cooperlake"};
  for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++) {
    if (!blas_core_supported(&f, cores[i])) continue;
    char got[32] = "?", base_core[32] = "?";
    double ratio[64], best = 0, base_best = 0;
    for (int r = 0; r < reps; r++) {
      double b = measure(self, NULL, seconds, n, base_core);
      double g = measure(self, cores[i], seconds, n, got);
      if (b <= 0 || g <= 0) {
        fprintf(stderr, "bench_blas_cores: a child run failed (core %s)\n", cores[i]);
        return 1;
      }
      ratio[r] = g / b;
      if (g > best) best = g;
      if (b > base_best) base_best = b;
    }
    qsort(ratio, (size_t)reps, sizeof ratio[0], cmp_double);
    printf("  OPENBLAS_CORETYPE=%-12s loaded %-12s best %6.1f GFLOP/s (baseline %s best %6.1f)  "
           "ratio %.2f\n", cores[i], got, best, base_core, base_best, ratio[reps / 2]);
  }
  return 0;
}
