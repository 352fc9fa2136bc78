#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local char last_message[1024];

int vdmc_fail(int code, const char *fmt, ...) {
  // Format into a local buffer first: callers may pass vdmc_error_message() as an
  // argument to add context to the message already recorded.
  char buf[sizeof last_message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  memcpy(last_message, buf, sizeof buf);
  return code;
}

// "/abs/path/io/dataset.c" -> "io/dataset.c": the source's folder and name.
static const char *short_source(const char *src) {
  const char *last = strrchr(src, '/'), *p = last;
  while (p && p > src && p[-1] != '/') p--;
  return p ? p : src;
}

int vdmc_fail_library(int code, const char *reason, const char *src, int line, const char *fmt, va_list ap) {
  char msg[900];
  int k = vsnprintf(msg, sizeof msg, fmt, ap);
  if (k >= 0 && (size_t)k < sizeof msg)
    snprintf(msg + k, sizeof msg - (size_t)k, ": %s (%s:%d)", reason, short_source(src), line);
  return vdmc_fail(code, "%s", msg);
}

const char *vdmc_error_message(void) {
  return last_message[0] ? last_message : "unknown error (no message recorded)";
}

void vdmc_clear_error(void) { last_message[0] = '\0'; }

void vdmc_internal_abort(const char *what) {
  fprintf(stderr, "vdmc: internal error: %s\n", what);
  abort();
}
