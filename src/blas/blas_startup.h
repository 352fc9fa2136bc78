// Start-up of the BLAS backend: make sure OpenBLAS runs kernels that fit this
// CPU, check that they compute correctly, and say what runs (docs/blas.md).
//
// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) picks its kernels from the CPU model
// number; a CPU newer than the library falls back to weak kernels (Prescott on
// a new Xeon: 25 instead of 105 GFLOP/s). OpenBLAS reads OPENBLAS_CORETYPE only
// when it is loaded, so the fix is to set it and re-execute the program.
#ifndef VDMC_BLAS_STARTUP_H
#define VDMC_BLAS_STARTUP_H

#include <stdio.h>

#include "blas/blas_select.h"

// Env marker set on re-exec; holds the core OpenBLAS had picked by itself.
#define BLAS_REEXEC_ENV "VDMC_BLAS_REEXEC"

// Call first thing in main(), before MPI_Init and before any thread starts:
// if OpenBLAS loaded a weaker core than this CPU supports and the user did not
// set OPENBLAS_CORETYPE, re-executes /proc/self/exe with the same argv and
// OPENBLAS_CORETYPE=<best> (at most once, guarded by BLAS_REEXEC_ENV); then runs
// blas_self_check(). Returns VDMC_OK, or an error status with a message when the
// user's OPENBLAS_CORETYPE needs instructions this CPU lacks or the check fails.
// Does not return when the re-exec succeeds.
int blas_select_or_reexec(int argc, char **argv);

// Small sgemm products (all transposes, odd shapes, one large enough for the
// threaded path) against a float64 triple loop. VDMC_OK or VDMC_ERR_NUMERIC.
int blas_self_check(void);

typedef struct {
  CpuFeatures cpu;
  const char *loaded;          // openblas_get_corename()
  const char *config;          // openblas_get_config()
  const char *user_coretype;   // OPENBLAS_CORETYPE if the user set it, else NULL
  const char *reexec_from;     // core OpenBLAS picked before vdmc re-executed, or NULL
  int threads;                 // par_max_threads(), refreshed on every call
  BlasDecision decision;
} BlasState;

// What was detected and decided (computed on first use; threads re-read each call).
const BlasState *blas_state(void);
// One line, e.g. "OpenBLAS 0.3.21 core Zen (best for this CPU: Zen), 2 threads".
const char *blas_report_line(void);
// Prints "blas: <line>\n"; compute commands call it at start (rank 0).
void blas_report(FILE *f);

#endif
