// Parameter table, arena and error values.
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/param_table.h"
#include "core/status.h"

int main(void) {
  ParamTable t;
  param_table_init(&t);
  size_t off_a, off_b;
  size_t sa[2] = {3, 5}, sb[1] = {7};
  CHECK(param_table_add(&t, "a.weight", 2, sa, 1, &off_a) == VDMC_OK, "add a");
  CHECK(param_table_add(&t, "b.bias", 1, sb, 0, &off_b) == VDMC_OK, "add b");
  CHECK(off_a == 0 && off_b == 16, "offsets aligned to 16 floats: %zu %zu", off_a, off_b);
  CHECK(param_table_numel(&t) == 22, "numel 22");
  CHECK(param_table_add(&t, "a.weight", 2, sa, 1, NULL) == VDMC_ERR_INTERNAL, "duplicate rejected");
  CHECK(strstr(vdmc_error_message(), "duplicate") != NULL, "message names the problem");
  CHECK(param_table_find(&t, "b.bias")->numel == 7, "find");
  param_table_free(&t);

  Arena m;
  arena_init_measure(&m);
  CHECK(arena_floats(&m, 10) == NULL, "measuring returns NULL");
  arena_floats(&m, 20);
  CHECK(m.used == 16 + 32, "measured %zu", m.used);
  Arena a;
  CHECK(arena_init_alloc(&a, m.used) == VDMC_OK, "alloc");
  float *p = arena_floats(&a, 10), *q = arena_floats(&a, 20);
  CHECK(p && q && q - p == 16 && ((size_t)q % 64) == 0, "aligned slices");
  CHECK(arena_floats(&a, 1) == NULL, "overflow detected");
  arena_free(&a);
  return check_finish("core");
}
