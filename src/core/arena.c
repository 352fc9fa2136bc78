#include "core/arena.h"

#include <string.h>

#include "core/param_table.h"
#include "core/status.h"

void arena_init_measure(Arena *a) { memset(a, 0, sizeof *a); }

int arena_init_alloc(Arena *a, size_t floats) {
  memset(a, 0, sizeof *a);
  a->base = vdmc_alloc_floats(floats);
  if (!a->base) return VDMC_ERR_MEMORY;
  a->capacity = floats;
  return VDMC_OK;
}

float *arena_floats(Arena *a, size_t n) {
  size_t padded = (n + PARAM_ALIGN_FLOATS - 1) / PARAM_ALIGN_FLOATS * PARAM_ALIGN_FLOATS;
  size_t start = a->used;
  a->used += padded;
  if (!a->base) return NULL;
  if (a->used > a->capacity) {
    vdmc_fail(VDMC_ERR_INTERNAL, "arena overflow: need %zu floats, have %zu", a->used, a->capacity);
    return NULL;
  }
  return a->base + start;
}

void arena_reset(Arena *a) { a->used = 0; }

void arena_free(Arena *a) {
  vdmc_free_floats(a->base);
  memset(a, 0, sizeof *a);
}
