// Writing JSON text by hand (safetensors headers, the exported architecture): the one
// place that knows how a string is escaped.
#ifndef VDMC_IO_JSON_WRITE_H
#define VDMC_IO_JSON_WRITE_H

#include <stdio.h>

// Writes s as a JSON string literal: quotes, backslashes and every control character
// (newlines of a config text included) escaped; other bytes (UTF-8) as they are.
void json_put_string(FILE *f, const char *s);

#endif
