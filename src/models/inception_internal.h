// Shared by inception.c (architecture, forward) and inception_weights.c (tensor list, weights, arena).
#ifndef VDMC_MODELS_INCEPTION_INTERNAL_H
#define VDMC_MODELS_INCEPTION_INTERNAL_H

#include "models/inception.h"

// Runs the architecture without data for net->max_batch: fills net->conv, n_convs,
// buf_floats (per image) and scratch_floats.
int inception_plan(Inception *net);

#endif
