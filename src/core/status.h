// Errors are values: every fallible function returns a vdmc status (0 = ok) and
// records one human-readable line with vdmc_fail(). Callers propagate the status;
// the CLI prints vdmc_error_message() once and exits non-zero.
#ifndef VDMC_STATUS_H
#define VDMC_STATUS_H

#include <stdarg.h>

enum {
  VDMC_OK = 0,
  VDMC_ERR_INPUT = 1,    // bad user input: config key/type/range, shape, rank count
  VDMC_ERR_IO = 2,       // a file could not be read, written, or is malformed
  VDMC_ERR_MEMORY = 3,   // allocation failed
  VDMC_ERR_NUMERIC = 4,  // non-finite values where finite ones are required
  VDMC_ERR_MPI = 5,      // an MPI call failed
  VDMC_ERR_INTERNAL = 6  // a bug: an invariant of vdmc itself does not hold
};

// Records the message (printf format) for this thread and returns `code`,
// so call sites read `return vdmc_fail(VDMC_ERR_INPUT, "...", ...);`. The
// arguments may include vdmc_error_message() to wrap the previous message.
int vdmc_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// For checked library calls (MPI_TRY, MPI_CHECK, H5_CHECK): records
// "<fmt...>: <reason> (dir/file.c:line)", reason being the library's own message and
// src the caller's __FILE__ (shortened to its folder and name), and returns `code`.
int vdmc_fail_library(int code, const char *reason, const char *src, int line, const char *fmt, va_list ap);
const char *vdmc_error_message(void);
void vdmc_clear_error(void);
// A broken invariant deep in a kernel that has no status to return (an operand given to
// the wrong path, a buffer the model sized too small): prints "vdmc: internal error:
// <what>" and aborts. A bug in vdmc, never bad input.
_Noreturn void vdmc_internal_abort(const char *what);

#endif
