// `vdmc compare A.h5 B.h5 [--tol X]`: compares everything two checkpoints hold
// (io/checkpoint_compare.c) and prints one line per item and a summary. Exit 0 when
// everything agrees within X (default 0: bit-identical arrays), 1 when something
// differs, 2 on bad arguments or a file that cannot be read (named). Used by the
// P-invariance and resume tests, and by researchers checking two runs agree.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/status.h"
#include "io/checkpoint.h"
#include "cli/flag_parse.h"

int cmd_compare(int argc, char **argv) {
  const char *pa = NULL, *pb = NULL;
  double tol = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help")) {
      printf("usage: vdmc compare A.h5 B.h5 [--tol X]   compare two checkpoints: attributes, tensor table,\n"
             "       config text, and every array and extra value by value (max |a-b| / max |b| <= X)\n");
      return 0;
    }
    const char *value = NULL;
    int rc = flag_value(argc, argv, &i, "--tol", &value);
    if (rc < 0) {
      fprintf(stderr, "vdmc compare: %s (see vdmc compare --help)\n", vdmc_error_message());
      return 2;
    }
    if (rc > 0) {
      if (flag_double("--tol", value, 0, INFINITY, &tol)) {
        fprintf(stderr, "vdmc compare: %s\n", vdmc_error_message());
        return 2;
      }
    } else if (!strncmp(argv[i], "--", 2)) {
      flag_unknown(argv[i], "compare");
      fprintf(stderr, "vdmc compare: %s\n", vdmc_error_message());
      return 2;
    } else if (!pa) pa = argv[i];
    else if (!pb) pb = argv[i];
    else {
      fprintf(stderr, "vdmc compare: unexpected argument '%s'\n", argv[i]);
      return 2;
    }
  }
  if (!pb) {
    fprintf(stderr, "vdmc compare: need two checkpoint files (see vdmc compare --help)\n");
    return 2;
  }
  CheckpointCompare r;
  if (checkpoint_compare(pa, pb, tol, stdout, &r)) {
    fprintf(stderr, "vdmc compare: %s\n", vdmc_error_message());
    return 2;
  }
  printf("compared %d arrays: worst max rel diff %.3e (tol %.3g); %s\n", r.arrays, r.worst, tol,
         r.differences ? "DIFFERENT" : "same");
  if (r.differences) printf("%d difference%s\n", r.differences, r.differences > 1 ? "s" : "");
  return r.differences ? 1 : 0;
}
