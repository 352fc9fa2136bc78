#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>
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

const char *vdmc_error_message(void) {
  return last_message[0] ? last_message : "unknown error (no message recorded)";
}

void vdmc_clear_error(void) { last_message[0] = '\0'; }
