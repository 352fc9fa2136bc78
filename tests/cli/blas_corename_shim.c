// LD_PRELOAD shim for tests/cli/blas.sh: pretends OpenBLAS picked the weak
// Prescott kernels by itself (as on a CPU newer than the library), so the
// re-exec path of blas_select_or_reexec runs end to end. With SHIM_ALWAYS=1 it
// keeps lying after the re-exec too, to test that vdmc re-executes at most once.
// With SHIM_BAD_SGEMM=1 sgemm returns a wrong element, to test the self-check.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

char *openblas_get_corename(void) {
  const char *always = getenv("SHIM_ALWAYS");
  if (!getenv("OPENBLAS_CORETYPE") || (always && always[0] == '1')) return "Prescott";
  char *(*real)(void) = (char *(*)(void))dlsym(RTLD_NEXT, "openblas_get_corename");
  return real();
}

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *,
                         int, float, float *, int);

void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc) {
  sgemm_fn real = (sgemm_fn)dlsym(RTLD_NEXT, "cblas_sgemm");
  real(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  const char *bad = getenv("SHIM_BAD_SGEMM");
  if (bad && bad[0] == '1' && m > 16) c[(size_t)(m / 2) * ldc + n / 2] += 1e-2f;
}
