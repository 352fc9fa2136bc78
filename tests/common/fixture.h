// Reader for reference fixtures written by tests/reference/fixture_io.py.
// File layout (little endian):
//   magic "VDMCFIX1" | u32 count | count x { u32 name_len | name | u32 ndim |
//   ndim x u64 dims | u32 dtype (0 = float32, 1 = int32, 2 = float64) | data }
#ifndef VDMC_TEST_FIXTURE_H
#define VDMC_TEST_FIXTURE_H

#include <stddef.h>

typedef struct {
  char name[128];
  int ndim;
  size_t dims[8];
  size_t numel;
  int dtype;
  void *data;
} FixtureArray;

typedef struct {
  FixtureArray *arrays;
  size_t count;
} Fixture;

// Loads $VDMC_FIXTURES/<file>; returns 0 or a non-zero status with a message on stderr.
int fixture_load(Fixture *fx, const char *file);
// The same for the case `name`: loads $VDMC_FIXTURES/<name>.fix.
int fixture_load_case(Fixture *fx, const char *name);
// The named array, or NULL (prints which name is missing).
const FixtureArray *fixture_get(const Fixture *fx, const char *name);
const float *fixture_floats(const Fixture *fx, const char *name, size_t expect_numel);
const int *fixture_ints(const Fixture *fx, const char *name, size_t expect_numel);
void fixture_free(Fixture *fx);

#endif
