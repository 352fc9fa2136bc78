#include "fixture.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_exact(FILE *f, void *p, size_t n) { return fread(p, 1, n, f) == n ? 0 : -1; }

int fixture_load_case(Fixture *fx, const char *name) {
  char file[256];
  snprintf(file, sizeof file, "%s.fix", name);
  return fixture_load(fx, file);
}

int fixture_load(Fixture *fx, const char *file) {
  memset(fx, 0, sizeof *fx);
  const char *dir = getenv("VDMC_FIXTURES");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/fixtures", file);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "fixture %s: cannot open (set VDMC_FIXTURES or regenerate with tests/reference)\n", path);
    return 1;
  }
  char magic[8];
  uint32_t count;
  if (read_exact(f, magic, 8) || memcmp(magic, "VDMCFIX1", 8) || read_exact(f, &count, 4)) {
    fprintf(stderr, "fixture %s: bad header (expected magic VDMCFIX1)\n", path);
    fclose(f);
    return 1;
  }
  fx->arrays = calloc(count, sizeof *fx->arrays);
  fx->count = count;
  for (uint32_t i = 0; i < count; i++) {
    FixtureArray *a = &fx->arrays[i];
    uint32_t len, ndim, dtype;
    if (read_exact(f, &len, 4) || len >= sizeof a->name || read_exact(f, a->name, len) ||
        read_exact(f, &ndim, 4) || ndim > 8)
      goto bad;
    a->ndim = (int)ndim;
    a->numel = 1;
    for (uint32_t d = 0; d < ndim; d++) {
      uint64_t v;
      if (read_exact(f, &v, 8)) goto bad;
      a->dims[d] = (size_t)v;
      a->numel *= (size_t)v;
    }
    if (read_exact(f, &dtype, 4) || dtype > 2) goto bad;
    a->dtype = (int)dtype;
    size_t esz = dtype == 2 ? 8 : 4;
    a->data = malloc(a->numel * esz + 1);
    if (!a->data || read_exact(f, a->data, a->numel * esz)) goto bad;
  }
  fclose(f);
  return 0;
bad:
  fprintf(stderr, "fixture %s: truncated or malformed\n", path);
  fclose(f);
  fixture_free(fx);
  return 1;
}

const FixtureArray *fixture_get(const Fixture *fx, const char *name) {
  for (size_t i = 0; i < fx->count; i++)
    if (strcmp(fx->arrays[i].name, name) == 0) return &fx->arrays[i];
  fprintf(stderr, "fixture: no array named '%s'\n", name);
  return NULL;
}

static const void *typed(const Fixture *fx, const char *name, size_t expect, int dtype) {
  const FixtureArray *a = fixture_get(fx, name);
  if (!a) return NULL;
  if (a->dtype != dtype || (expect && a->numel != expect)) {
    fprintf(stderr, "fixture: '%s' has dtype %d and %zu elements, expected dtype %d and %zu\n",
            name, a->dtype, a->numel, dtype, expect);
    return NULL;
  }
  return a->data;
}

const float *fixture_floats(const Fixture *fx, const char *name, size_t expect_numel) {
  return typed(fx, name, expect_numel, 0);
}

const int *fixture_ints(const Fixture *fx, const char *name, size_t expect_numel) {
  return typed(fx, name, expect_numel, 1);
}

void fixture_free(Fixture *fx) {
  for (size_t i = 0; i < fx->count; i++) free(fx->arrays[i].data);
  free(fx->arrays);
  memset(fx, 0, sizeof *fx);
}
