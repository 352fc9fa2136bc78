// Activation arena: one allocation sized when a model is built, no malloc in a step.
// A model "plans" its buffers twice with the same code: first with a measuring
// arena (base == NULL: arena_floats returns NULL and only counts), then with a
// real arena of exactly the measured size.
#ifndef VDMC_ARENA_H
#define VDMC_ARENA_H

#include <stddef.h>

typedef struct {
  float *base;     // NULL while measuring
  size_t capacity; // floats
  size_t used;     // floats, including alignment padding
} Arena;

void arena_init_measure(Arena *a);
// Allocates the real buffer of `floats` floats; returns status.
int arena_init_alloc(Arena *a, size_t floats);
// Next 64-byte aligned slice of n floats (NULL while measuring). Running past the
// capacity is a bug in the planner: it returns NULL and records an error.
float *arena_floats(Arena *a, size_t n);
void arena_reset(Arena *a);   // forget all slices, keep the buffer
void arena_free(Arena *a);

#endif
