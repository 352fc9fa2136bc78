// Small U-Net and U-ViT configs that exercise every block kind (res-block resampling,
// attention, classes; the U-ViT's conv stages and transformer halves) in a fraction of
// a second: the models of the precision tests (unit.bf16_models, unit.norm_recompute).
#ifndef VDMC_TEST_SMALL_MODELS_H
#define VDMC_TEST_SMALL_MODELS_H

#include "models/unet.h"
#include "models/uvit.h"

// 16x16x3, channels 16/32, attention at 8x8, 3 classes, res-block resampling; dropout p.
UNetConfig small_unet_config(float dropout);
// 16x16x3, conv stages 16/16, width 32, depth 2, 2 heads, MLP ratio 2, 3 classes;
// dropout p in the res blocks and the MLPs.
UViTConfig small_uvit_config(float dropout);
typedef enum { SMALL_UNET, SMALL_UVIT, SMALL_MODEL_COUNT } SmallModel;
const char *small_model_name(SmallModel m);  // "unet", "uvit"
// Builds one of the two with dropout p and attention's probabilities saved or recomputed
// (model.attention_probs) for batches up to max_batch.
int small_model_create(StepNet *u, SmallModel m, float dropout, AttnProbs where, int max_batch);
// Builds each of the two (dropout p, probabilities saved) for batches up to max_batch,
// runs check(name, model) on it ("unet", then "uvit") and frees it; a model that does
// not build is a failure.
void for_each_small_model(int max_batch, float dropout,
                          void (*check)(const char *model, StepNet *u));
// dst = the n floats a saved product operand holds (its bf16 bits widened in the bf16
// plan; models/unet_blocks.h SavedOperand).
void saved_operand_floats(const SavedOperand *o, float *dst, size_t n);

#endif
