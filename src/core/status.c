#include "core/status.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

int vdmc_fail(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return code;
}

const char *vdmc_error_message(void) {
  return last_message[0] ? last_message : "unknown error (no message recorded)";
}

void vdmc_clear_error(void) { last_message[0] = '\0'; }
