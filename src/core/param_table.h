// The flat-buffer parameter table (docs/design.md, Flat buffers).
// All trainable tensors of a model live in one contiguous float array; this table
// names each slice (name, offset, shape, weight-decay flag). Gradients, Adam
// moments and EMA weights are arrays of the same length indexed by the same
// offsets, so allreduce, clipping, Adam, EMA and checkpoints are loops over slices.
#ifndef VDMC_PARAM_TABLE_H
#define VDMC_PARAM_TABLE_H

#include <stddef.h>

#define PARAM_MAX_DIMS 4
#define PARAM_NAME_LEN 96
// Offsets are rounded up to this many floats (64 bytes) so every tensor is aligned.
#define PARAM_ALIGN_FLOATS 16

typedef struct {
  char name[PARAM_NAME_LEN];   // e.g. "down.1.res.0.conv1.weight"
  size_t offset;               // in floats from the start of the flat buffer
  size_t numel;
  int ndim;
  size_t shape[PARAM_MAX_DIMS];
  int decay;                   // 1: weight decay applies (matrices), 0: biases/norms
} ParamInfo;

typedef struct {
  ParamInfo *items;
  size_t count, capacity;
  size_t total;                // floats needed for the flat buffer (with alignment)
} ParamTable;

void param_table_init(ParamTable *t);
void param_table_free(ParamTable *t);
// Appends a tensor; *offset_out receives its offset. Names must be unique.
int param_table_add(ParamTable *t, const char *name, int ndim, const size_t *shape,
                    int decay, size_t *offset_out);
const ParamInfo *param_table_find(const ParamTable *t, const char *name);
// Total number of real parameters (without alignment padding).
size_t param_table_numel(const ParamTable *t);

// 64-byte aligned, zero-filled float buffer of n floats; NULL (with vdmc_fail) on failure.
float *vdmc_alloc_floats(size_t n);
void vdmc_free_floats(float *p);

#endif
