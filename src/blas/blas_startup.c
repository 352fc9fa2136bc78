#define _POSIX_C_SOURCE 200809L
#include "blas/blas_startup.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/signals.h"
#include "core/status.h"
#include "ops/gemm_bf16.h"
#include "ops/parallel.h"

static BlasState state;
static int state_ready;

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && v[0] ? v : NULL;
}

const BlasState *blas_state(void) {
  state.threads = par_max_threads();  // may change (par_set_threads)
  if (state_ready) return &state;
  cpu_features_detect(&state.cpu);
  state.loaded = openblas_get_corename();
  state.config = openblas_get_config();
  state.reexec_from = env_nonempty(BLAS_REEXEC_ENV);
  state.user_coretype = state.reexec_from ? NULL : env_nonempty("OPENBLAS_CORETYPE");
  state.decision = blas_decide(&state.cpu, state.loaded, state.user_coretype,
                               state.reexec_from != NULL, blas_cooperlake_forceable(state.config));
  state_ready = 1;
  return &state;
}

static void reexec(const BlasState *s, char **argv) {
  if (!setenv(BLAS_REEXEC_ENV, s->loaded, 1) && !setenv("OPENBLAS_CORETYPE", s->decision.target, 1)) {
    signals_hold_for_exec();
    execv("/proc/self/exe", argv);
  }
  // Still here: setenv or exec failed. Say so once and run on the core we have.
  int err = errno;
  signals_unhold();
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(BLAS_REEXEC_ENV);
  fprintf(stderr, "vdmc: warning: could not re-execute with OPENBLAS_CORETYPE=%s (%s); "
          "running on OpenBLAS core %s\n", s->decision.target, strerror(err), s->loaded);
}

// VDMC_BF16_KERNEL=portable runs bf16 products as round + fp32 kernels on a CPU with the
// AVX512-BF16 kernel: the bits of a host without it (docs/precision.md); avx512 insists
// on the kernel. Unset or empty: the best this CPU has.
static int select_bf16_kernel(void) {
  const char *v = env_nonempty("VDMC_BF16_KERNEL");
  if (!v) return VDMC_OK;
  GemmBf16Path path;
  if (!strcmp(v, "portable"))
    path = GEMM_BF16_PORTABLE;
  else if (!strcmp(v, "avx512"))
    path = GEMM_BF16_AVX512;
  else
    return vdmc_fail(VDMC_ERR_INPUT, "VDMC_BF16_KERNEL=%s: not a bf16 path (portable or avx512)", v);
  if (gemm_bf16_force(path) != 0)
    return vdmc_fail(VDMC_ERR_INPUT, "VDMC_BF16_KERNEL=%s needs avx512_bf16, which this CPU lacks; "
                     "unset it or use VDMC_BF16_KERNEL=portable", v);
  return VDMC_OK;
}

int blas_select_or_reexec(int argc, char **argv) {
  (void)argc;
  const BlasState *s = blas_state();
  if (s->decision.action == BLAS_USER_UNSUPPORTED) {
    char feats[256];
    cpu_features_format(&s->cpu, feats, sizeof feats);
    return vdmc_fail(VDMC_ERR_INPUT,
                     "OPENBLAS_CORETYPE=%s needs instructions this CPU lacks (it has: %s); "
                     "unset it or use OPENBLAS_CORETYPE=%s", s->user_coretype, feats,
                     s->decision.target);
  }
  if (s->decision.action == BLAS_REEXEC) reexec(s, argv);
  if (select_bf16_kernel() != VDMC_OK) return VDMC_ERR_INPUT;
  return blas_self_check();
}

// ---- self-check: sgemm against a float64 triple loop ------------------------------

typedef struct {
  int m, n, k;
  int trans_a, trans_b;
  float alpha, beta;
} GemmCase;

static void fill_lcg(float *x, size_t n, unsigned long long seed) {
  for (size_t i = 0; i < n; i++) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(seed >> 40) / 16777216.0 * 2.0 - 1.0);
  }
}

// Row-major C = alpha op(A) op(B) + beta C; returns the worst error relative to
// the bound |alpha| sum|a||b| + |beta c| (per element), in units of that bound.
static double gemm_case_error(const GemmCase *g, float *a, float *b, float *c, float *c0) {
  size_t na = (size_t)g->m * g->k, nb = (size_t)g->k * g->n, nc = (size_t)g->m * g->n;
  fill_lcg(a, na, 1 + (unsigned)g->m);
  fill_lcg(b, nb, 2 + (unsigned)g->n);
  fill_lcg(c0, nc, 3 + (unsigned)g->k);
  memcpy(c, c0, nc * sizeof *c);
  int lda = g->trans_a ? g->m : g->k, ldb = g->trans_b ? g->k : g->n;
  cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
              g->trans_b ? CblasTrans : CblasNoTrans, g->m, g->n, g->k, g->alpha, a, lda, b, ldb,
              g->beta, c, g->n);
  double worst = 0;
  for (int i = 0; i < g->m; i++)
    for (int j = 0; j < g->n; j++) {
      double sum = 0, mag = 0;
      for (int p = 0; p < g->k; p++) {
        double x = g->trans_a ? a[(size_t)p * g->m + i] : a[(size_t)i * g->k + p];
        double y = g->trans_b ? b[(size_t)j * g->k + p] : b[(size_t)p * g->n + j];
        sum += x * y;
        mag += fabs(x * y);
      }
      double c_in = c0[(size_t)i * g->n + j];
      double ref = g->alpha * sum + g->beta * c_in;
      double bound = fabs(g->alpha) * mag + fabs(g->beta * c_in) + 1e-30;
      double err = fabs(c[(size_t)i * g->n + j] - ref) / bound;
      if (!(err <= worst)) worst = err;  // also catches NaN
    }
  return worst;
}

int blas_self_check(void) {
  static const GemmCase cases[] = {
      {1, 1, 1, 0, 0, 1.0f, 0.0f},     {7, 5, 3, 0, 0, 1.5f, 0.5f},
      {33, 17, 65, 1, 0, -1.0f, 1.0f}, {33, 17, 65, 0, 1, 0.5f, -2.0f},
      {33, 17, 65, 1, 1, 1.0f, 0.0f},  {160, 144, 136, 0, 0, 1.0f, 0.25f},
  };
  size_t max_a = 160 * 136, max_b = 136 * 144, max_c = 160 * 144;
  float *buf = malloc((max_a + max_b + 2 * max_c) * sizeof *buf);
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory in the BLAS self-check");
  float *a = buf, *b = a + max_a, *c = b + max_b, *c0 = c + max_c;
  int status = VDMC_OK;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const GemmCase *g = &cases[i];
    // float32 accumulation error grows at most like k * eps (2^-24) relative to the bound.
    double err = gemm_case_error(g, a, b, c, c0), tol = 4.0 * (g->k + 2) * 5.96e-8;
    if (!(err <= tol)) {
      const BlasState *s = blas_state();
      status = vdmc_fail(VDMC_ERR_NUMERIC,
                         "BLAS self-check failed: OpenBLAS core %s gives wrong sgemm results "
                         "(m=%d n=%d k=%d trans=%d%d: relative error %.3g > %.3g); run with a "
                         "lower OPENBLAS_CORETYPE (e.g. Sandybridge) and see docs/blas.md",
                         s->loaded, g->m, g->n, g->k, g->trans_a, g->trans_b, err, tol);
      break;
    }
  }
  free(buf);
  return status;
}

// ---- report -------------------------------------------------------------------------

const char *blas_report_line(void) {
  static char line[320];
  const BlasState *s = blas_state();
  char version[24] = "?";
  sscanf(s->config, "OpenBLAS %23s", version);
  char why[128] = "";
  if (s->user_coretype)
    snprintf(why, sizeof why, ", OPENBLAS_CORETYPE=%s set by user", s->user_coretype);
  else if (s->reexec_from)
    snprintf(why, sizeof why, ", re-executed: OpenBLAS had picked %s", s->reexec_from);
  snprintf(line, sizeof line, "OpenBLAS %s core %s (best for this CPU: %s%s), %d thread%s", version,
           s->loaded, s->decision.target, why, s->threads, s->threads == 1 ? "" : "s");
  return line;
}

void blas_report(FILE *f) { fprintf(f, "blas: %s\n", blas_report_line()); }
