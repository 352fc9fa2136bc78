#include "cli/flag_parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

int flag_int(const char *flag, const char *value, long long lo, long long hi, long long *out) {
  if (!value) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", flag);
  char *end;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (end == value || *end || errno) return vdmc_fail(VDMC_ERR_INPUT, "%s: '%s' is not an integer", flag, value);
  if (v < lo || v > hi) return vdmc_fail(VDMC_ERR_INPUT, "%s: %lld is outside [%lld, %lld]", flag, v, lo, hi);
  *out = v;
  return VDMC_OK;
}

int flag_double(const char *flag, const char *value, double lo, double hi, double *out) {
  if (!value) return vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", flag);
  char *end;
  errno = 0;
  double v = strtod(value, &end);
  if (end == value || *end || errno || !isfinite(v))
    return vdmc_fail(VDMC_ERR_INPUT, "%s: '%s' is not a finite number", flag, value);
  if (v < lo || v > hi) return vdmc_fail(VDMC_ERR_INPUT, "%s: %g is outside [%g, %g]", flag, v, lo, hi);
  *out = v;
  return VDMC_OK;
}

int flag_number(const char *flag, const char *value, double lo, double hi, double *out) {
  char *end = NULL;
  double x = strtod(value, &end);
  if (!*value || *end || !(x >= lo && x <= hi))
    return vdmc_fail(VDMC_ERR_INPUT, "%s '%s': expected a number in [%g, %g]", flag, value, lo, hi);
  *out = x;
  return VDMC_OK;
}

// Whether `flag` is one of the space-separated words of `list`.
static int in_list(const char *flag, const char *list) {
  size_t n = strlen(flag);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, " ");
    if (len == n && !strncmp(p, flag, n)) return 1;
    p += len;
    p += strspn(p, " ");
  }
  return 0;
}

int flag_value(int argc, char **argv, int *i, const char *known, const char **value) {
  const char *flag = argv[*i];
  *value = NULL;
  if (strncmp(flag, "--", 2) || !in_list(flag, known)) return 0;
  if (*i + 1 >= argc) {
    vdmc_fail(VDMC_ERR_INPUT, "%s: missing value", flag);
    return -1;
  }
  *value = argv[++*i];
  return 1;
}

int flag_unknown(const char *flag, const char *verb) {
  return vdmc_fail(VDMC_ERR_INPUT, "unknown option '%s' (see vdmc %s --help)", flag, verb);
}
