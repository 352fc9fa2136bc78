// The U-ViT's transformer block, split into its two residual halves so that each is one
// step of the U-Net step list (models/unet.h):
//   XFMR_ATTN: out = x + proj(attention(qkv(adaLN(x))))
//   XFMR_MLP:  out = x + fc2(dropout(GELU(fc1(adaLN(x)))))
// adaLN(x) = LN(x) * (1 + scale) + shift: LayerNorm without its own affine parameters,
// [scale|shift] = linear(SiLU(emb)) per example (the res blocks' conditioning, EmbMod).
// Legend: B batch, T tokens (H*W of the lowest resolution), C transformer width,
// F = mlp_ratio * C hidden width, E embedding width. Tokens are (B, T, C) = NHWC.
#ifndef VDMC_MODELS_UVIT_BLOCKS_H
#define VDMC_MODELS_UVIT_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "models/unet_blocks.h"

typedef enum { XFMR_ATTN = 0, XFMR_MLP = 1 } XfmrKind;

typedef struct {
  XfmrKind kind;
  int T, C, F;
  float *mean, *rstd;       // (B*T), (B*T) LN(x)'s statistics, saved (LN(x) is recomputed
                            // in backward: UNetScratch.norm)
  Precision storage;        // the plan's (PREC_BF16: normal and slope are kept, not the
                            // input and u)
  uint16_t *normal;         // (B,T,C) bf16 plan: LN's normalized input (x - mean) * rstd
                            // rounded, as bits (ops/norm.h), what a bf16 step's backward
                            // reads of x, saved instead of x (the previous step's output)
  EmbMod mod;               // mod.out = adaLN(x) (B,T,C): qkv's or fc1's input, saved in
                            // the fp32 plan, recomputed by a bf16 step
  AttnCore attn;            // XFMR_ATTN: qkv / probs / att
  size_t fc1_w, fc1_b;      // XFMR_MLP: (C, F), (F)
  size_t fc2_w, fc2_b;      // (F, C), (C): zero-init like ADM's output layers
  float *u;                 // (B,T,F) fc1 output, saved in the fp32 plan (GELU's backward
                            // reads it); the bf16 plan's forward writes it in s->t[2]
  uint16_t *slope;          // (B,T,F) bf16 plan: gelu'(u) rounded, as bits, what backward
                            // multiplies by (ops/activation.h), saved instead of u
  SavedOperand g;           // (B,T,F) dropout(GELU(u)), saved (fc2 input)
  const Bf16Operands *bf;   // fc1 / fc2 operands (mod.bf, attn.bf: their own)
  float p;                  // MLP dropout probability
  uint32_t site;            // dropout site offset
} XfmrBlock;

// NH heads (XFMR_ATTN) or hidden width F (XFMR_MLP) in `arg`; probs_kept: the attention
// half's (attn_core_setup).
void xfmr_block_setup(XfmrBlock *x, XfmrKind kind, int T, int C, int arg, float p, uint32_t site,
                      AttnProbs probs_kept);
int xfmr_block_add_params(XfmrBlock *x, UNetParams *p, const char *prefix, int E);
void xfmr_block_plan(XfmrBlock *x, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// out, inp (B,T,C); emb_act (B,E); drop NULL or x->p == 0: no dropout. Uses s->norm and,
// in the bf16 plan, s->t[0..2] (the values of mod.out, g and u, and attention's qkv and att).
void xfmr_block_forward(XfmrBlock *x, float *out, const float *inp, const float *emb_act, int E,
                        const float *params, int B, const DropoutKey *drop, UNetScratch *s);
// dinp and demb_act accumulated (inp: NULL in the bf16 plan, which keeps LN's normalized
// input's bits). Uses s->t[0..2], s->norm and s->ss; dout must be none of them.
void xfmr_block_backward(XfmrBlock *x, float *dinp, float *demb_act, float *grads,
                         const float *dout, const float *inp, const float *emb_act, int E,
                         const float *params, int B, const DropoutKey *drop, UNetScratch *s);
double xfmr_block_flops(const XfmrBlock *x, int E);

#endif
