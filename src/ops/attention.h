// Multi-head self-attention core over T tokens (the q/k/v and output projections
// are `linear` ops around it). qkv (B, T, 3C) holds q | k | v; head h uses channels
// [h*D, (h+1)*D) of each with D = C/NH. P = softmax(q.k^T / sqrt(D)) is computed with
// the row maximum subtracted. Backward reads P either from a (B, NH, T, T) buffer forward
// filled (saved) or recomputes it from qkv, bit for bit, in the scratch (recomputed):
// the same code forms it either way, so both give the same bits (docs/attention.md).
#ifndef VDMC_OPS_ATTENTION_H
#define VDMC_OPS_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

// Where backward gets the probabilities from (config key model.attention_probs): a
// memory-for-time trade that changes no result.
typedef enum {
  ATTN_PROBS_SAVED,       // forward keeps P (B, NH, T, T); backward: 4 products per head
  ATTN_PROBS_RECOMPUTED,  // no P kept; backward forms it again: 5 products and a softmax
  ATTN_PROBS_COUNT
} AttnProbs;

// "saved", "recomputed": the values of model.attention_probs.
const char *attn_probs_name(AttnProbs where);

// Where forward keeps P for backward: as float32 (f32), as its bf16 bits (bf16: a bf16
// run's 16-bit storage, only inside a bf16 region, where P is a bf16 value), or nowhere
// (both NULL: recomputed in backward). At most one is set.
typedef struct {
  float *f32;     // (B,NH,T,T) or NULL
  uint16_t *bf16; // (B,NH,T,T) or NULL
} AttnSavedProbs;
// P recomputed in backward.
static const AttnSavedProbs ATTN_PROBS_NONE = {NULL, NULL};

// How forward keeps P for backward, which sets the scratch ops need (an AttnSavedProbs
// with f32, with bf16, or neither set).
typedef enum { ATTN_KEPT_F32, ATTN_KEPT_BF16, ATTN_KEPT_NONE } AttnKept;

// Floats of scratch forward and backward need:
// - P kept as float32: T * T, backward's dP.
// - P kept as bf16 bits: forward forms each pair's P a block of rows at a time (the
//   pass's pairs' scores or float32 P rows), backward one pair's P (widened where the
//   bf16 kernel does not multiply it as bits) and its dP, 2 * T * T: a plan does not
//   depend on which path runs.
// - P recomputed: (pairs per pass + 1) * T * T, a pass's P and backward's dP; after
//   either call the last pass's P is at the front.
size_t attention_scratch_floats(int B, int T, int C, int NH, AttnKept kept);
// P of every head, as forward and backward form it (for checks and fixtures).
void attention_probs(float *probs /* (B,NH,T,T) */, const float *qkv /* (B,T,3C) */, int B,
                     int T, int C, int NH);
// keep: where P goes for backward (scratch unused when it is keep.f32).
// In a bf16 region (ops/gemm_bf16.h) the probabilities and, in backward, their gradient
// dS are operands of the head's products, so they are rounded to bf16 as they are formed
// (P before P v and in the softmax's backward; dS before dS k and dS^T q), on every
// bf16 path: the kernel's packing would round them too (docs/precision.md). On the
// kernel with P kept as bf16 bits, P and dS exist only as bits: the softmax writes them,
// the kernel packs them as they are (ops/gemm.h gemm_strided_a16), the same values.
void attention_forward(float *out /* (B,T,C) */, AttnSavedProbs keep,
                       const float *qkv /* (B,T,3C) */, int B, int T, int C, int NH,
                       float *scratch);
// Accumulates into dqkv; NULL skips. saved: what forward kept (the same kind).
void attention_backward(float *dqkv /* (B,T,3C) */, const float *dout /* (B,T,C) */,
                        const float *qkv, AttnSavedProbs saved, int B, int T, int C, int NH,
                        float *scratch);

#endif
