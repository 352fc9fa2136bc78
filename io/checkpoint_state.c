// Building a CheckpointState: which arrays and extras to save or load into.
#include <string.h>

#include "core/status.h"
#include "io/checkpoint.h"

void checkpoint_state_init(CheckpointState *st, const ParamTable *table) {
  memset(st, 0, sizeof *st);
  st->table = table;
}

static int check_name(const char *kind, const char *name, int used, int max,
                      const char *taken_names, size_t stride) {
  if (!name[0] || strlen(name) >= CHECKPOINT_NAME_LEN || strchr(name, '/'))
    return vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint %s name '%s' must be 1..%d chars without '/'",
                     kind, name, CHECKPOINT_NAME_LEN - 1);
  if (used >= max)
    return vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint: more than %d %ss", max, kind);
  for (int i = 0; i < used; i++)
    if (!strcmp(taken_names + (size_t)i * stride, name))
      return vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint: duplicate %s name '%s'", kind, name);
  return VDMC_OK;
}

int checkpoint_add_array(CheckpointState *st, const char *name, float *data, size_t offset,
                         size_t count) {
  int s = check_name("array", name, st->narrays, CHECKPOINT_MAX_ARRAYS, st->arrays[0].name,
                     sizeof st->arrays[0]);
  if (s) return s;
  if (offset + count > st->table->total || (count && !data))
    return vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint array '%s': slice [%zu, %zu) outside [0, %zu)",
                     name, offset, offset + count, st->table->total);
  CheckpointArray *a = &st->arrays[st->narrays++];
  strcpy(a->name, name);
  a->data = data;
  a->offset = offset;
  a->count = count;
  return VDMC_OK;
}

int checkpoint_add_extra(CheckpointState *st, const char *name, double *data, size_t n) {
  int s = check_name("extra", name, st->nextras, CHECKPOINT_MAX_EXTRAS, st->extras[0].name,
                     sizeof st->extras[0]);
  if (s) return s;
  if (n && !data) return vdmc_fail(VDMC_ERR_INTERNAL, "checkpoint extra '%s': NULL data", name);
  CheckpointExtra *e = &st->extras[st->nextras++];
  strcpy(e->name, name);
  e->data = data;
  e->n = n;
  return VDMC_OK;
}

void checkpoint_partition(size_t total, int rank, int nranks, size_t *offset, size_t *count) {
  size_t r = (size_t)rank, p = (size_t)nranks;
  size_t base = total / p, extra = total % p;
  *offset = r * base + (r < extra ? r : extra);
  *count = base + (r < extra ? 1 : 0);
}
