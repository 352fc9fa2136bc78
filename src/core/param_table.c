#include "core/param_table.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"

void param_table_init(ParamTable *t) { memset(t, 0, sizeof *t); }

void param_table_free(ParamTable *t) {
  free(t->items);
  memset(t, 0, sizeof *t);
}

int param_table_add(ParamTable *t, const char *name, int ndim, const size_t *shape,
                    int decay, size_t *offset_out) {
  if (ndim < 1 || ndim > PARAM_MAX_DIMS)
    return vdmc_fail(VDMC_ERR_INTERNAL, "param %s: ndim %d out of range", name, ndim);
  if (strlen(name) >= PARAM_NAME_LEN)
    return vdmc_fail(VDMC_ERR_INTERNAL, "param name too long: %s", name);
  if (param_table_find(t, name))
    return vdmc_fail(VDMC_ERR_INTERNAL, "duplicate param name: %s", name);
  if (t->count == t->capacity) {
    size_t cap = t->capacity ? 2 * t->capacity : 64;
    ParamInfo *items = realloc(t->items, cap * sizeof *items);
    if (!items) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory growing the parameter table");
    t->items = items;
    t->capacity = cap;
  }
  ParamInfo *p = &t->items[t->count++];
  memset(p, 0, sizeof *p);
  strcpy(p->name, name);
  p->ndim = ndim;
  p->numel = 1;
  for (int i = 0; i < ndim; i++) {
    p->shape[i] = shape[i];
    p->numel *= shape[i];
  }
  p->decay = decay;
  p->offset = t->total;
  size_t padded = (p->numel + PARAM_ALIGN_FLOATS - 1) / PARAM_ALIGN_FLOATS * PARAM_ALIGN_FLOATS;
  t->total += padded;
  if (offset_out) *offset_out = p->offset;
  return VDMC_OK;
}

const ParamInfo *param_table_find(const ParamTable *t, const char *name) {
  for (size_t i = 0; i < t->count; i++)
    if (strcmp(t->items[i].name, name) == 0) return &t->items[i];
  return NULL;
}

size_t param_table_numel(const ParamTable *t) {
  size_t n = 0;
  for (size_t i = 0; i < t->count; i++) n += t->items[i].numel;
  return n;
}

float *vdmc_alloc_floats(size_t n) {
  size_t bytes = (n ? n : 1) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes);
  if (!p) {
    vdmc_fail(VDMC_ERR_MEMORY, "out of memory allocating %zu bytes", bytes);
    return NULL;
  }
  memset(p, 0, bytes);
  return p;
}

void vdmc_free_floats(float *p) { free(p); }
