// YAML config target: a config file and --set overrides resolved exactly as `vdmc
// config FILE --set KEY=VALUE...` resolves them (config_args_resolve: defaults, file,
// overrides, cross-key checks). Two properties beyond "no crash" abort when broken:
// - a config that resolves, written as a run's config.yaml is written, loads back to
//   the same values (a checkpoint stores that text and `vdmc sample` rebuilds the
//   model from it);
// - an override that is accepted changes its own key and no other.
//
// Input: the YAML file, then optionally a NUL byte (a file with one is refused before
// parsing) and up to MAX_SETS overrides, one per line, each the argument of one --set.
#define _POSIX_C_SOURCE 200809L  // open_memstream
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config_args.h"
#include "core/status.h"
#include "fuzz_file.h"

#define MAX_SETS 8

// The resolved config as config_write_yaml writes it, without its first line (which
// names the source); malloc'd.
static char *resolved_text(const ConfigSet *cs) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) abort();
  config_write_yaml(cs, f);
  fclose(f);
  return text;
}

static void check_round_trip(const ConfigSet *cs) {
  static ConfigSet again;  // static: a ConfigSet is 20 KiB
  char *text = resolved_text(cs);
  int status = config_init_defaults(&again);
  if (!status) status = config_load_text(&again, text, "resolved config");
  if (!status) status = config_validate(&again);
  char *back = status ? NULL : resolved_text(&again);
  const char *body = strchr(text, '\n'), *back_body = back ? strchr(back, '\n') : NULL;
  if (status || !body || !back_body || strcmp(body, back_body)) {
    fprintf(stderr, "fuzz_config: the resolved config does not load back to the same values: %s\n--- written:\n%s\n--- reloaded:\n%s\n",
            status ? vdmc_error_message() : "values differ", text, back ? back : "(none)");
    abort();
  }
  free(back);
  free(text);
}

// Applied alone on the defaults, `assignment` may change only the line of its own key
// in the resolved text ("  KEY: VALUE" under its section).
static void check_override_scope(const char *assignment) {
  static ConfigSet base, set;
  if (config_init_defaults(&base)) abort();
  set = base;
  if (config_apply_override(&set, assignment)) return;
  const char *dot = strchr(assignment, '.'), *eq = strchr(assignment, '=');
  char own[300];
  snprintf(own, sizeof own, "  %.*s: ", (int)(eq - dot - 1), dot + 1);
  char *before = resolved_text(&base), *after = resolved_text(&set);
  for (char *a = before, *b = after, *an, *bn; a && b; a = an, b = bn) {
    an = strchr(a, '\n');
    bn = strchr(b, '\n');
    if (an) *an++ = '\0';
    if (bn) *bn++ = '\0';
    if (strcmp(a, b) && strncmp(a, own, strlen(own))) {
      fprintf(stderr, "fuzz_config: --set %s also changed '%s' to '%s'\n", assignment, a, b);
      abort();
    }
  }
  free(after);
  free(before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t yaml_len = nul ? (size_t)(nul - data) : size;
  char *argv[1 + 2 * MAX_SETS];
  int argc = 0;
  argv[argc++] = (char *)fuzz_file(data, yaml_len);
  char *sets = NULL;
  if (nul) {
    size_t len = size - yaml_len - 1;
    if (!(sets = malloc(len + 1))) abort();
    memcpy(sets, nul + 1, len);
    sets[len] = '\0';
    for (char *line = sets, *next; line && argc < 1 + 2 * MAX_SETS; line = next) {
      next = strchr(line, '\n');
      if (next) *next++ = '\0';
      argv[argc++] = "--set";
      argv[argc++] = line;
    }
  }
  static ConfigSet cs;
  if (config_args_resolve(&cs, argc, argv, NULL, NULL) == VDMC_OK) check_round_trip(&cs);
  for (int i = 2; i < argc; i += 2) check_override_scope(argv[i]);
  free(sets);
  return 0;
}
