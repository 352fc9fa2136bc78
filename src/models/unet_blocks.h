// Building blocks of the ADM U-Net, each written once and instantiated in a loop:
// GnUnit (GroupNorm), ConvUnit ([resample ->] conv), NormActConv (GN-SiLU-[resample]-conv,
// the res block's input layers and the output head), ResBlock, AttnBlock and the
// lambda/class conditioning embedding. Every block has add_params (register its
// tensors), plan (carve its saved activations from the arena), forward and backward.
// Legend: B batch, H/W input spatial size, Ci/Co channels in/out, E embedding width,
// HW = H*W. Tensor pointers are (B, H, W, C) NHWC unless noted; sizes per example are
// multiplied by the runtime batch B <= the planned batch.
#ifndef VDMC_MODELS_UNET_BLOCKS_H
#define VDMC_MODELS_UNET_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/param_table.h"
#include "ops/attention.h"
#include "ops/bf16.h"
#include "ops/bf16_products.h"
#include "ops/dropout.h"
#include "ops/norm.h"

// ---- parameter registration ---------------------------------------------------------
typedef enum {
  UNET_INIT_FANIN,   // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch conv/linear default)
  UNET_INIT_ZERO,    // ADM zero_module layers and GN bias
  UNET_INIT_ONE,     // GN weight
  UNET_INIT_NORMAL   // N(0, 1) (nn.Embedding)
} UNetInitKind;

typedef struct {
  UNetInitKind kind;
  size_t fan_in;
} UNetInit;

typedef struct {
  ParamTable table;
  UNetInit *init;  // (table.count)
  size_t init_cap;
} UNetParams;

// Registers "<prefix>.<leaf>"; decay = 1 for tensors with 2+ dims.
int unet_params_add(UNetParams *p, const char *prefix, const char *leaf, int ndim,
                    const size_t *shape, UNetInitKind kind, size_t fan_in, size_t *off);

// Fills params (t->table.total floats) by each tensor's init kind; tensor i draws from
// the Philox stream (seed, RNG_INIT, sub = i), so init does not depend on ranks.
void unet_params_init(const UNetParams *t, float *params, uint64_t seed);

// ---- shared scratch -------------------------------------------------------------------
// Three temporaries of the largest tensor (gradients inside a block's backward, the skip
// branch in forward), a fourth for a norm's output, a small (B, 2*Cmax) one for
// scale-shift gradients, and the ops' kernel scratch. Shared by all blocks: a block's
// backward finishes before the next.
typedef struct {
  float *t[3];
  // (B, largest tensor) a GroupNorm's / LayerNorm's output (in a GN-SiLU-conv unit, then
  // its SiLU, in place): forward writes it here for the op after the norm, backward
  // recomputes it here from the norm's input and saved statistics where it is needed
  // (gn_unit_recompute), bit for bit, instead of keeping one per norm in the arena
  // (docs/precision.md, "Activations saved for backward").
  float *norm;
  float *ss;   // (B, 2*Cmax)
  float *op;   // conv2d / attention scratch
} UNetScratch;

typedef enum { UNET_RESAMPLE_NONE = 0, UNET_RESAMPLE_UP = 1, UNET_RESAMPLE_DOWN = 2 } UNetResample;

// ---- an activation saved for backward only as the operand of a product ------------------
// (models/saved_operand.c; docs/precision.md, "Activations saved for backward".) Backward
// reads it only through a product, which in bf16 rounds it to bf16 anyway, so the bf16
// plan (stepnet_set_precision) keeps just its bf16 bits, half the bytes, and changes no
// bit of a step. There forward writes the float32 values in the shared temporary
// UNetScratch.t[tmp], the product after the writer reads them there (rounding them as
// always), and saved_operand_store keeps their bf16 bits; backward's product widens the
// bits where it would round (ops/bf16.h MixedInput). The fp32 plan keeps the
// float32 tensor in the arena, as every other saved activation.
// A few of them (a res block's conv2 input, a transformer half's adaLN output) are not
// kept at all by the bf16 plan (`recomputed`): a bf16 step's backward makes them again
// from the norm's normalized input the block keeps (docs/precision.md, "Scale-shift
// outputs recomputed").
typedef struct {
  Precision storage;  // PREC_BF16: the bf16 plan (set by stepnet_set_precision before planning)
  int recomputed;     // bf16 plan: neither f32 nor bf16 is kept
  int tmp;            // bf16 plan: the UNetScratch.t[] forward writes the values in
  float *f32;         // (B, n) fp32 plan: the saved tensor; else NULL
  uint16_t *bf16;     // (B, n) bf16 plan: its bf16 bits; else NULL
} SavedOperand;

// Carves n = B * floats per example in the storage o->storage says; tmp: its temporary.
void saved_operand_plan(SavedOperand *o, Arena *a, size_t n, int tmp);
// Where forward writes the float32 values and the next product reads them.
float *saved_operand_values(const SavedOperand *o, const UNetScratch *s);
// Keeps values (saved_operand_values, n floats) for backward: their bf16 bits in the bf16
// plan; in the fp32 plan they are the saved tensor already.
void saved_operand_store(const SavedOperand *o, const float *values, size_t n);
// What backward's product reads (ops/bf16_products.h); not for a recomputed one.
MixedInput saved_operand_input(const SavedOperand *o);

// ---- GroupNorm ------------------------------------------------------------------------
// Saves its statistics: its output goes to the caller's buffer (UNetScratch.norm), and
// backward recomputes it. The fp32 plan recomputes it from the input, which the model
// keeps for the norm's own backward anyway; the bf16 plan keeps the input's normalized
// values rounded to bf16 instead (`normal`, written by forward), which is all a bf16
// step's backward reads of the input (ops/norm.h RoundedNormal), and the model keeps no
// fp32 input for it (docs/precision.md, "GroupNorm's normalized input in 16 bits").
typedef struct {
  int HW, C, G;
  size_t w, b;          // (C), (C)
  float *mean, *rstd;   // (B,G) saved
  Precision storage;    // the plan's (PREC_BF16: normal is kept)
  uint16_t *normal;     // (B,HW,C) bf16 plan: (input - mean) * rstd rounded, as bits
} GnUnit;

// ---- [resample ->] conv -----------------------------------------------------------------
typedef struct {
  UNetResample resample;  // applied to the input before the conv
  int H, W, Cin, Cout;    // input size before resampling
  int k, stride;
  int Ho, Wo;             // output size
  size_t w, b;            // (k,k,Cin,Cout), (Cout)
  SavedOperand rs;        // (B, H', W', Cin) the input, resampled, saved when the conv
                          // resamples or saves_input; else the caller passes backward the input
  int saves_input;        // bf16 plan, no resampling: rs keeps the input's bf16 bits, as
                          // nothing else keeps the input (models/unet_precision.c)
  const Bf16Operands *bf; // bf16 operands (the model's, models/unet_precision.c) or NULL: fp32
} ConvUnit;

// ---- GN -> SiLU -> [resample] -> conv3x3 -------------------------------------------------
// Saves no activation of its own: SiLU(GN(input)), the conv's input, is recomputed in
// backward from the input and GN's statistics (UNetScratch.norm); a resampling conv
// saves its resampled input (conv.rs), which is what its backward reads.
typedef struct {
  GnUnit gn;
  ConvUnit conv;
} NormActConv;

// ---- scale-shift conditioning from the embedding (ADM AdaGN, DiT adaLN) ------------------
// out = x * (1 + scale) + shift with [scale|shift] = linear(emb_act) per example.
typedef struct {
  int HW, C;
  size_t w, b;           // (E, 2C), (2C)
  float *ss;             // (B, 2C) scale | shift, saved
  SavedOperand out;      // (B,HW,C) saved: a product's input wherever EmbMod is used
  const Bf16Operands *bf;
} EmbMod;

// ---- residual block (ADM ResBlock with use_scale_shift_norm) -----------------------------
typedef struct {
  int H, W, Ci, Co, Ho, Wo;
  UNetResample resample;
  NormActConv in;        // GN1-SiLU-[resample]-conv1
  float *h2;             // (B,Ho,Wo,Co) conv1 output, saved in the fp32 plan; the bf16
                         // plan keeps gn2.normal instead and forward writes h2 in s->t[2]
  GnUnit gn2;            // GN2(h2): recomputed in backward from h2, or in bf16 products
                         // from its normalized input rounded (kept, or formed from h2)
  EmbMod mod;            // mod.out = a3 = dropout(SiLU(GN2(h2) * (1 + scale) + shift)) (B,Ho,Wo,Co),
                         // conv2's input: saved in the fp32 plan, recomputed by a bf16 step
  ConvUnit conv2;        // zero-init in ADM
  SavedOperand xr;       // (B,Ho,Wo,Ci) resampled x for the skip (resampling blocks): the skip
                         // conv's input; without a skip conv an fp32 addend of forward only
  int has_skip;          // 1x1 conv on the skip when Ci != Co
  ConvUnit skip;
  uint32_t site;         // dropout site offset
  const Bf16Operands *bf;  // bf16 products (models/unet_precision.c) or NULL: fp32
} ResBlock;

// ---- self-attention core: out = x + proj(attention(qkv(hn))) ----------------------------
// hn is the normalised x (GroupNorm in the U-Net, adaLN in the U-ViT transformer).
typedef struct {
  int HW, C, NH;
  size_t qkv_w, qkv_b;    // (C, 3C), (3C)
  size_t proj_w, proj_b;  // (C, C), (C): zero-init in ADM
  AttnProbs probs_kept;   // saved: probs below; recomputed: formed in UNetScratch.op
  Precision probs_storage; // of saved probs: the arena plan's (bf16: their bf16 bits)
  SavedOperand qkv;       // (B,HW,3C) saved
  AttnSavedProbs probs;   // (B,NH,HW,HW) saved, float32 or bf16 bits; none when recomputed
  SavedOperand att;       // (B,HW,C) saved
  const Bf16Operands *bf;
} AttnCore;

// ---- self-attention block: GN + attention core ------------------------------------------
typedef struct {
  GnUnit gn;
  AttnCore core;
} AttnBlock;

// ---- lambda (+ class) conditioning ------------------------------------------------------
typedef struct {
  int E0, E, K;           // sinusoid width (= base channels), embedding width, classes
  double lambda_scale;
  size_t lin1_w, lin1_b;  // (E0, E), (E)
  size_t lin2_w, lin2_b;  // (E, E), (E)
  size_t table;           // (K+1, E) when K > 0
  float *lam;             // (B) lambda_scale * lambda
  float *sin;             // (B,E0)
  float *t1, *t1a;        // (B,E) lin1 out, SiLU of it
  float *emb;             // (B,E) lin2 out + class row
  float *emb_act;         // (B,E) SiLU(emb): what every res block reads
  float *demb_act;        // (B,E) its gradient, accumulated by the res blocks
  float *d1, *d2;         // (B,E) backward temporaries
  float *dsin;            // (B,E0)
  const Bf16Operands *bf;
} UNetEmbed;

// Setup fills dims (no allocation); add_params registers tensors under `prefix`;
// plan carves saved buffers for B examples and raises *tmp_need (floats per example of
// one temporary) and *op_need (floats of kernel scratch at batch B).
void unet_grow(size_t *need, size_t n);  // *need = max(*need, n)
void gn_unit_setup(GnUnit *g, int HW, int C, int G);
int gn_unit_add_params(GnUnit *g, UNetParams *p, const char *prefix);
// Carves mean/rstd (and normal in the bf16 plan); raises *tmp_need to its output (the
// UNetScratch.norm it writes).
void gn_unit_plan(GnUnit *g, Arena *a, int B, size_t *tmp_need);
// out (B,HW,C): the caller's buffer, s->norm in the blocks.
void gn_unit_forward(GnUnit *g, float *out, const float *inp, const float *params, int B);
// out = what gn_unit_forward wrote for this inp, bit for bit, from the saved statistics.
void gn_unit_recompute(const GnUnit *g, float *out, const float *inp, const float *params, int B);
// The same two with SiLU applied as the output is written (ops/norm.h): the bits of the
// call above then silu_forward, in one pass.
void gn_unit_silu_forward(GnUnit *g, float *out, const float *inp, const float *params, int B);
void gn_unit_silu_recompute(const GnUnit *g, float *out, const float *inp, const float *params,
                            int B);
void gn_unit_backward(const GnUnit *g, float *dinp, float *grads, const float *dout,
                      const float *inp, const float *params, int B);
// The recomputation and the backward of a step in its precision: fp32 (bf16 = 0) as the
// two above; a bf16 step (docs/precision.md, "GroupNorm's normalized input in 16 bits")
// from the normalized input rounded, the bits the bf16 plan kept (inp may then be NULL)
// or formed from inp.
void gn_unit_recompute_step(const GnUnit *g, int bf16, float *out, const float *inp,
                            const float *params, int B);
void gn_unit_backward_step(const GnUnit *g, int bf16, float *dinp, float *grads,
                           const float *dout, const float *inp, const float *params, int B);

// Nearest x2 up-sampling or 2x2 average pooling of a (B,H,W,C) input; NONE does nothing.
void unet_resample_forward(UNetResample rs, float *out, const float *inp, int B, int H, int W,
                           int C);
// Accumulates into dinp (B,H,W,C).
void unet_resample_backward(UNetResample rs, float *dinp, const float *dout, int B, int H, int W,
                            int C);

void conv_unit_setup(ConvUnit *c, UNetResample rs, int H, int W, int Cin, int Cout, int k,
                     int stride);
int conv_unit_add_params(ConvUnit *c, UNetParams *p, const char *prefix, int zero_init);
void conv_unit_plan(ConvUnit *c, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// Uses s->op and, resampling in the bf16 plan, s->t[0] (the resampled input's values).
void conv_unit_forward(const ConvUnit *c, float *out, const float *inp, const float *params,
                       int B, const UNetScratch *s);
// dinp accumulated (may be NULL); tmp holds the resampled input's gradient. inp: the
// conv's input (unused when it saves one: it reads rs).
void conv_unit_backward(const ConvUnit *c, float *dinp, float *grads, const float *dout,
                        MixedInput inp, const float *params, int B, float *tmp,
                        float *op_scratch);
double conv_unit_flops(const ConvUnit *c);
// Floats of Bf16Operands its conv needs at batch B (ops/bf16_products.h).
size_t conv_unit_mixed_floats(const ConvUnit *c, int B);
// Floats per example of the conv's input (after resampling: the size of rs).
size_t conv_unit_input_floats(const ConvUnit *c);

void norm_act_conv_setup(NormActConv *n, UNetResample rs, int H, int W, int Ci, int Co, int G);
int norm_act_conv_add_params(NormActConv *n, UNetParams *p, const char *prefix,
                             const char *gn_name, const char *conv_name, int zero_init);
void norm_act_conv_plan(NormActConv *n, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// Uses s->norm and s->op.
void norm_act_conv_forward(NormActConv *n, float *out, const float *inp, const float *params,
                           int B, UNetScratch *s);
// Uses s->t[0], s->t[2] and s->norm; dout must not be one of them.
void norm_act_conv_backward(NormActConv *n, float *dinp, float *grads, const float *dout,
                            const float *inp, const float *params, int B, UNetScratch *s);

// G1/G2: groups of the input and output GroupNorms.
void emb_mod_setup(EmbMod *m, int HW, int C);
// Registers "<prefix>.weight" (E, 2C) and "<prefix>.bias" (fan-in init).
int emb_mod_add_params(EmbMod *m, UNetParams *p, const char *prefix, int E);
// tmp: the UNetScratch.t[] out's values are written in (bf16 plan).
void emb_mod_plan(EmbMod *m, Arena *a, int B, int tmp);
// Both forwards return the values of m->out (saved_operand_values), which the caller stores
// (saved_operand_store) once they are final; in the bf16 plan they are in s->t[out.tmp].
float *emb_mod_forward(EmbMod *m, const float *x, const float *emb_act, int E, const float *params,
                       int B, const UNetScratch *s);
// dx (B,HW,C) and demb_act (B,E) accumulated; s->ss is used.
void emb_mod_backward(const EmbMod *m, float *dx, float *demb_act, float *grads, const float *dout,
                      const float *x, const float *emb_act, int E, const float *params, int B,
                      UNetScratch *s);
// The same with SiLU fused after the scale-shift (activation.h scale_shift_silu_*):
// m->out = silu(x * (1 + scale) + shift); backward takes the gradient of that output.
float *emb_mod_silu_forward(EmbMod *m, const float *x, const float *emb_act, int E,
                            const float *params, int B, const UNetScratch *s);
void emb_mod_silu_backward(const EmbMod *m, float *dx, float *demb_act, float *grads,
                           const float *dout, const float *x, const float *emb_act, int E,
                           const float *params, int B, UNetScratch *s);
// out = what the forward above wrote from x (without dropout), from the saved scale and
// shift: a bf16 step's backward makes a recomputed m->out again with it, from x made from
// the norm's normalized input rounded (out may be x).
void emb_mod_recompute(const EmbMod *m, float *out, const float *x, int B);
void emb_mod_silu_recompute(const EmbMod *m, float *out, const float *x, int B);
double emb_mod_flops(const EmbMod *m, int E);

void res_block_setup(ResBlock *r, UNetResample rs, int H, int W, int Ci, int Co, int G1, int G2,
                     uint32_t site);
int res_block_add_params(ResBlock *r, UNetParams *p, const char *prefix, int E);
void res_block_plan(ResBlock *r, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// out (B,Ho,Wo,Co); emb_act (B,E); drop NULL or p == 0: no dropout.
void res_block_forward(ResBlock *r, float *out, const float *x, const float *emb_act, int E,
                       const float *params, int B, const DropoutKey *drop, UNetScratch *s);
void res_block_backward(ResBlock *r, float *dx, float *demb_act, float *grads, const float *dout,
                        const float *x, const float *emb_act, int E, const float *params, int B,
                        const DropoutKey *drop, UNetScratch *s);
double res_block_flops(const ResBlock *r, int E);

void attn_core_setup(AttnCore *t, int HW, int C, int NH, AttnProbs probs_kept);
// Registers "<prefix>.qkv.*" and "<prefix>.proj.*" (proj zero-init).
int attn_core_add_params(AttnCore *t, UNetParams *p, const char *prefix);
// Reserves the probabilities only when they are saved; the kernel scratch holds a pass of
// them when they are recomputed (ops/attention.h attention_scratch_floats).
void attn_core_plan(AttnCore *t, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// Uses s->op (the attention kernel's scratch) and, in the bf16 plan, s->t[1] and s->t[2]
// (qkv's and att's values); hn must be neither.
void attn_core_forward(AttnCore *t, float *out, const float *hn, const float *x, const float *params,
                       int B, UNetScratch *s);
// dx += dout (the residual), dhn += gradient of hn. Uses s->t[0] and s->t[1]; dhn must be
// neither.
void attn_core_backward(AttnCore *t, float *dhn, float *dx, float *grads, const float *dout,
                        MixedInput hn, const float *params, int B, UNetScratch *s);
double attn_core_flops(const AttnCore *t);

void attn_block_setup(AttnBlock *t, int HW, int C, int NH, int G, AttnProbs probs_kept);
int attn_block_add_params(AttnBlock *t, UNetParams *p, const char *prefix);
void attn_block_plan(AttnBlock *t, Arena *a, int B, size_t *tmp_need, size_t *op_need);
// Uses s->norm.
void attn_block_forward(AttnBlock *t, float *out, const float *x, const float *params, int B,
                        UNetScratch *s);
void attn_block_backward(AttnBlock *t, float *dx, float *grads, const float *dout,
                         const float *x, const float *params, int B, UNetScratch *s);

// Linear layer "<prefix>.<leaf>.{weight,bias}" (Cin, Cout), fan-in or zero init.
int unet_add_linear(UNetParams *p, const char *prefix, const char *leaf, int Cin, int Cout,
                    int zero_init, size_t *w, size_t *b);

// E0: sinusoid width (even), E: embedding width (the U-Net uses 4 * E0).
void embed_setup(UNetEmbed *e, int E0, int E, int K, double lambda_scale);
int embed_add_params(UNetEmbed *e, UNetParams *p);
void embed_plan(UNetEmbed *e, Arena *a, int B);
void embed_forward(UNetEmbed *e, const float *lambda, const int *labels, const float *params,
                   int B);
// Backward from e->demb_act; dlambda (B) accumulated unless NULL.
void embed_backward(UNetEmbed *e, float *grads, float *dlambda, const int *labels,
                    const float *params, int B);
double embed_flops(const UNetEmbed *e);

#endif
