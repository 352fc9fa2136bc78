// `vdmc compare A.h5 B.h5 [--tol X]`: compares every flat array and extra of two
// checkpoints and prints the max relative difference of each (max |a-b| / max |b|).
// Exit 0 when all are within X (default 0: bit-identical), 1 otherwise. Used by the
// P-invariance and resume tests, and by researchers checking two runs agree.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/input_file.h"
#include "core/status.h"
#include "io/h5_check.h"

typedef struct {
  hid_t a, b;
  const char *group;
  double tol, worst;
  int count, fail;
} CompareCtx;

static int read_doubles(hid_t file, const char *path, double **out, size_t *n) {
  int status = VDMC_OK;
  hid_t ds = -1, sp = -1;
  *out = NULL;
  H5_CHECK(ds = H5Dopen2(file, path, H5P_DEFAULT), "%s: missing", path);
  H5_CHECK(sp = H5Dget_space(ds), "%s: no dataspace", path);
  hssize_t np = H5Sget_simple_extent_npoints(sp);
  H5_CHECK(np, "%s: bad dataspace", path);
  *n = (size_t)np;
  *out = malloc((*n ? *n : 1) * sizeof(double));
  if (!*out) {
    status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", path);
    goto cleanup;
  }
  H5_CHECK(H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out), "%s: read failed", path);
cleanup:
  h5_close_id(sp);
  h5_close_id(ds);
  if (status) {
    free(*out);
    *out = NULL;
  }
  return status;
}

static herr_t compare_one(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  CompareCtx *c = data;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", c->group, name);
  double *a = NULL, *b = NULL;
  size_t na = 0, nb = 0;
  int rc = read_doubles(c->a, path, &a, &na);
  if (!rc) rc = read_doubles(c->b, path, &b, &nb);
  if (rc) {
    fprintf(stderr, "vdmc compare: %s\n", vdmc_error_message());
    free(a);
    return -1;
  }
  double maxdiff = 0, maxref = 0;
  int bad = na != nb;
  for (size_t i = 0; !bad && i < na; i++) {
    double d = fabs(a[i] - b[i]);
    if (!(d <= maxdiff)) maxdiff = d;  // NaN counts as a difference
    if (fabs(b[i]) > maxref) maxref = fabs(b[i]);
  }
  double rel = bad ? INFINITY : maxref > 0 ? maxdiff / maxref : maxdiff;
  int ok = !bad && rel <= c->tol && !isnan(rel);
  printf("%-24s %10zu values  max rel diff %.3e  %s\n", path, na, rel, bad ? "LENGTH DIFFERS" : ok ? "ok" : "DIFFERS");
  if (!ok) c->fail = 1;
  if (!(rel <= c->worst)) c->worst = rel;
  c->count++;
  free(a);
  free(b);
  return 0;
}

int cmd_compare(int argc, char **argv) {
  const char *pa = NULL, *pb = NULL;
  double tol = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tol") && i + 1 < argc) {
      char *end;
      tol = strtod(argv[++i], &end);
      if (*end || !(tol >= 0)) {
        fprintf(stderr, "vdmc compare: --tol expects a number >= 0, got '%s'\n", argv[i]);
        return 2;
      }
    } else if (!strcmp(argv[i], "--help")) {
      printf("usage: vdmc compare A.h5 B.h5 [--tol X]   compare two checkpoints array by array\n");
      return 0;
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
  h5_quiet();
  int status = VDMC_OK;
  CompareCtx c = {.a = -1, .b = -1, .tol = tol};
  VDMC_CHECK(input_file_check(pa, "checkpoint"));
  VDMC_CHECK(input_file_check(pb, "checkpoint"));
  H5_CHECK(c.a = H5Fopen(pa, H5F_ACC_RDONLY, H5P_DEFAULT), "%s: cannot open as HDF5", pa);
  H5_CHECK(c.b = H5Fopen(pb, H5F_ACC_RDONLY, H5P_DEFAULT), "%s: cannot open as HDF5", pb);
  const char *groups[2] = {"/arrays", "/extras"};
  for (int g = 0; g < 2; g++) {
    c.group = groups[g];
    hid_t grp = -1;
    H5_CHECK(grp = H5Gopen2(c.a, groups[g], H5P_DEFAULT), "%s: no %s group (not a vdmc checkpoint?)", pa, groups[g]);
    herr_t it = H5Literate(grp, H5_INDEX_NAME, H5_ITER_INC, NULL, compare_one, &c);
    H5Gclose(grp);
    if (it < 0) {
      status = VDMC_ERR_IO;
      goto cleanup;
    }
  }
  printf("compared %d arrays: worst max rel diff %.3e (tol %.3g)\n", c.count, c.worst, tol);
cleanup:
  h5_close_id(c.a);
  h5_close_id(c.b);
  if (status) {
    if (status != VDMC_ERR_IO || c.count == 0) fprintf(stderr, "vdmc compare: %s\n", vdmc_error_message());
    return 2;
  }
  return c.fail ? 1 : 0;
}
