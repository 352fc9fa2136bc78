// vdmc blas: what BLAS runs here and how fast (see docs/blas.md).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas/blas_bench.h"
#include "blas/blas_startup.h"
#include "cli/commands.h"
#include "core/status.h"
#include "ops/bf16.h"
#include "ops/gemm_small.h"
#include "ops/winograd_transforms.h"

static void usage(FILE *f) {
  fprintf(f, "usage: vdmc blas [--seconds S] [--size N]\n"
             "  prints CPU features, the OpenBLAS core (loaded and best for this CPU), threads,\n"
             "  runs the sgemm self-check and times N x N x N sgemm for about S seconds\n"
             "  (defaults: S = 1, N = 512)\n");
}

// Parses argv[i+1] as a number in [lo, hi] for option argv[i].
static int parse_option(int argc, char **argv, int i, double lo, double hi, double *out) {
  if (i + 1 >= argc) return vdmc_fail(VDMC_ERR_INPUT, "vdmc blas: %s needs a value", argv[i]);
  char *end;
  double v = strtod(argv[i + 1], &end);
  if (end == argv[i + 1] || *end || !(v >= lo && v <= hi))
    return vdmc_fail(VDMC_ERR_INPUT, "vdmc blas: %s '%s': expected a number in [%g, %g]", argv[i],
                     argv[i + 1], lo, hi);
  *out = v;
  return VDMC_OK;
}

int cmd_blas(int argc, char **argv) {
  double seconds = 1, size = 512;
  for (int i = 1; i < argc; i++) {
    int st = VDMC_OK;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--seconds")) {
      st = parse_option(argc, argv, i++, 0.01, 60, &seconds);
    } else if (!strcmp(argv[i], "--size")) {
      st = parse_option(argc, argv, i++, 1, 8192, &size);
      if (st == VDMC_OK && size != (double)(int)size)
        st = vdmc_fail(VDMC_ERR_INPUT, "vdmc blas: --size %g: expected an integer", size);
    } else {
      st = vdmc_fail(VDMC_ERR_INPUT, "vdmc blas: unknown option '%s' (see vdmc blas --help)", argv[i]);
    }
    if (st != VDMC_OK) {
      fprintf(stderr, "%s\n", vdmc_error_message());
      return 2;
    }
  }
  const BlasState *s = blas_state();
  char feats[256];
  cpu_features_format(&s->cpu, feats, sizeof feats);
  const char *env = getenv("OPENBLAS_CORETYPE");
  printf("cpu vendor:        %s\n", s->cpu.vendor[0] ? s->cpu.vendor : "(not x86)");
  printf("cpu features:      %s\n", feats[0] ? feats : "(none detected)");
  printf("openblas config:   %s\n", s->config);
  printf("OPENBLAS_CORETYPE: %s%s\n", env ? env : "(unset)",
         s->reexec_from ? " (set by vdmc's re-exec)" : env ? " (set by the user)" : "");
  if (s->reexec_from) printf("core before exec:  %s\n", s->reexec_from);
  printf("loaded core:       %s\n", s->loaded);
  printf("best core:         %s\n", s->decision.target);
  printf("decision:          %s\n", blas_action_name(s->decision.action));
  printf("threads:           %d\n", s->threads);
  // vdmc's own kernels pick their instruction set from cpuid, whatever OpenBLAS runs
  printf("vdmc kernels:      gemm_small %s; Winograd transforms in %d-channel groups\n",
         gemm_small_path_name(gemm_small_path()), wino_group_lanes());
  printf("bf16:              %s\n", bf16_path_name());
  int st = blas_self_check();
  printf("self-check:        %s\n", st == VDMC_OK ? "passed" : vdmc_error_message());
  if (st != VDMC_OK) return 1;
  long calls = 0;
  int n = (int)size;
  double gflops = blas_sgemm_gflops(n, seconds, &calls);
  if (gflops <= 0) {
    fprintf(stderr, "vdmc blas: out of memory for %d x %d sgemm\n", n, n);
    return 1;
  }
  printf("sgemm:             %.1f GFLOP/s (%d x %d x %d, %ld calls, %d threads)\n", gflops, n, n,
         n, calls, s->threads);
  double bf16 = blas_bf16_gflops(n, seconds, &calls);
  if (bf16 < 0) {
    fprintf(stderr, "vdmc blas: out of memory for %d x %d bf16 GEMM\n", n, n);
    return 1;
  }
  if (bf16 > 0)
    printf("bf16 GEMM:         %.1f GFLOP/s (%d x %d x %d, %ld calls, %d threads) = %.2f x sgemm\n",
           bf16, n, n, n, calls, s->threads, bf16 / gflops);
  else
    printf("bf16 GEMM:         no bf16 kernel in use (bf16 runs the sgemm above)\n");
  return 0;
}
