// Activations saved for backward only as the operand of a product: float32 in the fp32
// plan, bf16 bits in the bf16 plan (models/unet_blocks.h SavedOperand; docs/precision.md,
// "Activations saved for backward").
#include "models/unet_blocks.h"
#include "ops/bf16.h"

void saved_operand_plan(SavedOperand *o, Arena *a, size_t n, int tmp) {
  o->tmp = tmp;
  int half = o->storage == PREC_BF16;
  o->f32 = half ? NULL : arena_floats(a, n);
  // two bf16 values per float of the arena
  o->bf16 = half && !o->recomputed ? (uint16_t *)arena_floats(a, (n + 1) / 2) : NULL;
}

float *saved_operand_values(const SavedOperand *o, const UNetScratch *s) {
  return o->f32 ? o->f32 : s->t[o->tmp];
}

void saved_operand_store(const SavedOperand *o, const float *values, size_t n) {
  if (o->bf16) pack_bf16_threaded(o->bf16, values, n);
}

MixedInput saved_operand_input(const SavedOperand *o) {
  return (MixedInput){o->f32, o->bf16};
}
