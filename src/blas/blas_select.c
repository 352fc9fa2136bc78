#include "blas/blas_select.h"

#include <stdio.h>
#include <strings.h>

enum {
  NEEDS_AVX2 = CPU_AVX | CPU_AVX2 | CPU_FMA,
  NEEDS_AVX512 = NEEDS_AVX2 | CPU_AVX512F | CPU_AVX512DQ | CPU_AVX512CD | CPU_AVX512BW |
                 CPU_AVX512VL,
  NEEDS_NEHALEM = CPU_SSE3 | CPU_SSSE3 | CPU_SSE4_1 | CPU_SSE4_2
};

// OpenBLAS 0.3.21 x86_64 core names, their rank and the instructions their kernels use.
static const struct {
  const char *name;
  int rank;
  unsigned needs;
} cores[] = {
    {"Unknown", 0, 0},
    {"Katmai", 0, 0},
    {"Coppermine", 0, 0},
    {"Northwood", 0, 0},
    {"Banias", 0, 0},
    {"Athlon", 0, 0},
    {"Prescott", 0, CPU_SSE3},
    {"Opteron", 0, 0},
    {"Opteron_SSE3", 0, CPU_SSE3},
    {"Core2", 1, CPU_SSE3 | CPU_SSSE3},
    {"Penryn", 1, CPU_SSE3 | CPU_SSSE3 | CPU_SSE4_1},
    {"Dunnington", 1, CPU_SSE3 | CPU_SSSE3 | CPU_SSE4_1},
    {"Atom", 1, CPU_SSE3 | CPU_SSSE3},
    {"Nano", 1, CPU_SSE3 | CPU_SSSE3},
    {"Bobcat", 1, CPU_SSE3 | CPU_SSSE3 | CPU_SSE4A},
    {"Nehalem", 2, NEEDS_NEHALEM},
    {"Barcelona", 2, CPU_SSE3 | CPU_SSE4A},
    {"Sandybridge", 3, NEEDS_NEHALEM | CPU_AVX},
    {"Bulldozer", 3, NEEDS_NEHALEM | CPU_AVX | CPU_FMA4},
    {"Piledriver", 3, NEEDS_NEHALEM | CPU_AVX | CPU_FMA | CPU_FMA4},
    {"Steamroller", 3, NEEDS_NEHALEM | CPU_AVX | CPU_FMA | CPU_FMA4},
    {"Excavator", 3, NEEDS_NEHALEM | CPU_AVX | CPU_FMA | CPU_FMA4 | CPU_AVX2},
    {"Haswell", 4, NEEDS_NEHALEM | NEEDS_AVX2},
    {"Zen", 4, NEEDS_NEHALEM | NEEDS_AVX2},
    {"SkylakeX", 5, NEEDS_NEHALEM | NEEDS_AVX512},
    {"Cooperlake", 6, NEEDS_NEHALEM | NEEDS_AVX512 | CPU_AVX512_BF16},
};
static const size_t core_count = sizeof cores / sizeof cores[0];

static int core_index(const char *name) {
  if (!name) return -1;
  for (size_t i = 0; i < core_count; i++)
    if (!strcasecmp(name, cores[i].name)) return (int)i;
  return -1;
}

int blas_core_rank(const char *name) {
  int i = core_index(name);
  return i < 0 ? -1 : cores[i].rank;
}

int blas_core_supported(const CpuFeatures *f, const char *name) {
  int i = core_index(name);
  return i < 0 || (f->bits & cores[i].needs) == cores[i].needs;
}

const char *blas_core_best(const CpuFeatures *f, int cooperlake_forceable) {
  static const char *const ladder[] = {"Cooperlake", "SkylakeX", "Haswell", "Sandybridge",
                                       "Nehalem", "Core2", "Prescott"};
  for (size_t i = 0; i < sizeof ladder / sizeof ladder[0]; i++) {
    const char *name = ladder[i];
    if (!blas_core_supported(f, name)) continue;
    if (!cooperlake_forceable && !strcasecmp(name, "Cooperlake")) continue;
    // Same kernels tier; OpenBLAS tunes blocking for AMD under the name Zen.
    if (!strcasecmp(name, "Haswell") && cpu_features_is_amd(f)) return "Zen";
    return name;
  }
  return "Prescott";  // x86_64 baseline (OpenBLAS maps 64-bit unknowns here too)
}

BlasDecision blas_decide(const CpuFeatures *f, const char *loaded, const char *user_coretype,
                         int reexec_done, int cooperlake_forceable) {
  BlasDecision d = {BLAS_KEEP, blas_core_best(f, cooperlake_forceable)};
  if (user_coretype && user_coretype[0] && !reexec_done) {
    d.action = blas_core_supported(f, user_coretype) ? BLAS_KEEP_USER : BLAS_USER_UNSUPPORTED;
    return d;
  }
  int have = blas_core_rank(loaded);
  if (have < 0) {
    d.action = BLAS_KEEP_UNKNOWN;
    return d;
  }
  if (blas_core_rank(d.target) > have) d.action = reexec_done ? BLAS_KEEP_AFTER_REEXEC : BLAS_REEXEC;
  return d;
}

int blas_cooperlake_forceable(const char *openblas_config) {
  int major = 0, minor = 0, patch = 0;
  if (!openblas_config || sscanf(openblas_config, "OpenBLAS %d.%d.%d", &major, &minor, &patch) != 3)
    return 0;
  if (major != 0) return major > 0;
  if (minor != 3) return minor > 3;
  return patch >= 22;
}

const char *blas_action_name(BlasAction a) {
  switch (a) {
    case BLAS_KEEP: return "keep (loaded core is the best this CPU supports)";
    case BLAS_KEEP_USER: return "keep (OPENBLAS_CORETYPE set by the user)";
    case BLAS_KEEP_UNKNOWN: return "keep (core name unknown to vdmc)";
    case BLAS_KEEP_AFTER_REEXEC: return "keep (already re-executed once; OpenBLAS did not take the core)";
    case BLAS_REEXEC: return "re-exec with OPENBLAS_CORETYPE";
    case BLAS_USER_UNSUPPORTED: return "error (OPENBLAS_CORETYPE needs instructions this CPU lacks)";
  }
  return "?";
}
