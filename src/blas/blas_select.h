// Which OpenBLAS core type (kernel set) should run on this CPU: pure functions
// from CPU features and core names to a decision, so they can be tested from a
// table. The names are those OpenBLAS 0.3.21 DYNAMIC_ARCH knows (x86_64).
//
// A core's rank is the instruction-set tier of its kernels:
//   0 SSE2/SSE3 (Prescott, Opteron, ...)  1 SSSE3 (Core2, Atom, ...)
//   2 SSE4 (Nehalem, Barcelona)           3 AVX (Sandybridge, Bulldozer family)
//   4 AVX2+FMA (Haswell, Zen)             5 AVX-512 (SkylakeX)
//   6 AVX-512 + BF16 (Cooperlake)
// "Weaker" means a lower rank; cores of the same rank are not swapped.
#ifndef VDMC_BLAS_SELECT_H
#define VDMC_BLAS_SELECT_H

#include "core/cpu_features.h"

typedef enum {
  BLAS_KEEP,              // the loaded core is as good as the best supported one
  BLAS_KEEP_USER,         // the user set OPENBLAS_CORETYPE: respected
  BLAS_KEEP_UNKNOWN,      // loaded core name not in vdmc's table (newer OpenBLAS?)
  BLAS_KEEP_AFTER_REEXEC, // already re-executed once; never loop
  BLAS_REEXEC,            // re-execute with OPENBLAS_CORETYPE=target
  BLAS_USER_UNSUPPORTED   // user's OPENBLAS_CORETYPE needs instructions this CPU lacks
} BlasAction;

typedef struct {
  BlasAction action;
  const char *target;  // the best core this CPU supports (static string)
} BlasDecision;

// Rank of a core name (case-insensitive, as OpenBLAS compares), -1 if unknown.
int blas_core_rank(const char *name);
// 1 if every instruction the core's kernels use is available (unknown name: 1).
int blas_core_supported(const CpuFeatures *f, const char *name);
// Best core for these features among the names OPENBLAS_CORETYPE accepts.
// cooperlake_forceable: 0 for OpenBLAS <= 0.3.21, whose OPENBLAS_CORETYPE
// parser does not know "Cooperlake" (OpenBLAS PR #3806), so SkylakeX is chosen.
const char *blas_core_best(const CpuFeatures *f, int cooperlake_forceable);
// The decision. loaded: openblas_get_corename(); user_coretype: the user's
// OPENBLAS_CORETYPE or NULL; reexec_done: vdmc already re-executed this process.
BlasDecision blas_decide(const CpuFeatures *f, const char *loaded, const char *user_coretype,
                         int reexec_done, int cooperlake_forceable);
// 1 if openblas_get_config() reports version >= 0.3.22 (Cooperlake forceable).
int blas_cooperlake_forceable(const char *openblas_config);
const char *blas_action_name(BlasAction a);

#endif
