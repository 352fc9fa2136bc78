// ADM U-Net (Dhariwal & Nichol 2021, guided-diffusion UNetModel) conditioned on the
// log-SNR lambda and an optional class label. NHWC, float32. Parameters live in one
// flat buffer described by `params` (a ParamTable); activations saved for backward
// live in one Arena planned once for `max_batch` examples. See docs/unet.md.
// The network runs as a StepNet, a straight list of steps that the U-ViT builds too
// (models/uvit.h), so both architectures share one forward, backward and API.
// Legend: B batch, H/W spatial, C channels, E embedding width (4*base_channels in the
// U-Net), K num_classes.
#ifndef VDMC_MODELS_UNET_H
#define VDMC_MODELS_UNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "models/model_common.h"
#include "models/unet_blocks.h"
#include "models/uvit_blocks.h"
#include "ops/bf16.h"
#include "ops/dropout.h"

#define UNET_MAX_LEVELS 8
#define UNET_MAX_ATTN 8

typedef struct {
  int in_channels, out_channels;  // image channels in and out (out = in for eps-prediction)
  int resolution;                 // square input H = W
  int base_channels;              // channels of level 0 (ADM model_channels)
  int num_levels;                 // entries used in channel_mult
  int channel_mult[UNET_MAX_LEVELS];
  int num_res_blocks;             // res blocks per level on the way down (up: +1)
  int num_attn;                   // entries used in attn_resolutions
  int attn_resolutions[UNET_MAX_ATTN];  // spatial sizes (e.g. 7 for 7x7) with attention
  int head_channels;              // channels per attention head (heads = C / head_channels)
  float dropout;                  // drop probability inside res blocks, [0, 1)
  int num_classes;                // 0: unconditional; K > 0: table of K+1 rows (row K = null)
  int resblock_updown;            // 1: resample with res blocks, 0: conv stride 2 / nearest+conv
  int norm_groups;                // GroupNorm groups (32); gcd(groups, C) when C < groups
  double lambda_scale;            // the time embedding sees lambda_scale * lambda (25)
  // VDM App. C Fourier-feature input channels: with fourier_features = 1 the first conv
  // reads [z, sin(2^n pi z), cos(2^n pi z)] for n = fourier_n_min..fourier_n_max
  // (diffusion/fourier_features.h); 0 (the zero-initialised default) = off.
  int fourier_features, fourier_n_min, fourier_n_max;
  AttnProbs attention_probs;      // attention's P kept for backward or recomputed (ModelCommon)
} UNetConfig;

// VDM's frequencies (its code: Base2FourierFeatures(start=6, stop=8) with 2^n 2 pi,
// i.e. our n = 7, 8): what model.fourier_features: true selects.
#define UNET_FOURIER_N_MIN 7
#define UNET_FOURIER_N_MAX 8
// Channels the first conv reads: in_channels, times 1 + 2K with K Fourier frequencies.
int unet_input_channels(const UNetConfig *c);
// Copies the fields both architectures share (models/model_common.h) into c, leaving the
// U-Net-only ones as they are: the YAML mapping and the U-ViT's view of the step machine.
void unet_config_set_common(UNetConfig *c, const ModelCommon *m);
// The inverse: c's shared fields as a ModelCommon (for model_common_validate, model.json).
ModelCommon unet_config_common(const UNetConfig *c);

UNetConfig unet_config_fmnist_default(void);
// ImageNet-64-style layout scaled down for CPU benchmarking (see docs/unet.md).
UNetConfig unet_config_imagenet64_small(void);
// Checks the config; one vdmc_fail line naming the key and value on error.
int unet_config_validate(const UNetConfig *c);
// GroupNorm groups used for a C-channel tensor: norm_groups if it divides C, gcd when
// C < norm_groups; otherwise an error naming `where`.
int unet_norm_groups(const UNetConfig *c, int C, const char *where, int *G);

typedef enum {
  UNET_STEP_CONV,    // a ConvUnit (input conv, plain down/up-sampling)
  UNET_STEP_RES,     // a ResBlock (possibly resampling)
  UNET_STEP_ATTN,    // an AttnBlock
  UNET_STEP_CONCAT,  // [main | skip] channel concat (decoder skip connection)
  UNET_STEP_HEAD,    // GN-SiLU-conv to the output channels
  UNET_STEP_XFMR     // an XfmrBlock (U-ViT transformer half) on (B, H*W, C) tokens
} UNetStepKind;

// The network is a straight list of steps; step k reads the output of step k-1 (or the
// model input when k = 0) and writes tensor k. A CONCAT also reads tensor `skip`.
typedef struct {
  UNetStepKind kind;
  int block;          // index into res[] / attn[] / conv[] (unused for CONCAT, HEAD)
  int skip;           // CONCAT: id of the skip tensor
  int H, W, C;        // output shape per example
  int is_skip_source; // output feeds a later CONCAT too: its gradient has two writers
  int reads_input;    // its backward reads its input (step k-1's out, or the model's) in
                      // float32; the bf16 plan's norms and convs keep 16-bit copies instead
  int out_saved;      // out is its own arena tensor: a skip source, or a tensor a backward
                      // reads (every output in the fp32 plan); else a forward ping-pong buffer
  float *out;         // (B,H,W,C) forward output (NULL for HEAD: written to the caller's out)
  float *grad;        // (B,H,W,C) gradient of out during backward: a skip source's is out
                      // itself when no backward reads out
  size_t param_begin; // offset of this step's first parameter; its params lie in
                      // [param_begin, next step's param_begin)
} UNetStep;

// Called by stepnet_backward whenever every parameter gradient at offsets
// [offset, end of the table) is final, so gradient buckets can be sent during
// backward (mpi/grad_sync.h). Parameters are laid out in forward order with the
// shared embedding first, so backward finishes them from the end downwards.
typedef void (*StepNetGradReady)(void *ctx, size_t offset);

// The step machine: a U-Net (unet_create) or a U-ViT (uvit_create) as a list of steps
// over one parameter table and one arena. cfg holds the fields both share (for the
// U-ViT, its view through unet_config_set_common).
typedef struct {
  UNetConfig cfg;
  int max_batch;
  UNetParams params;   // params.table: the flat parameter buffer's named tensors

  UNetEmbed embed;
  UNetStep *steps;
  int n_steps;
  ResBlock *res;
  int n_res;
  AttnBlock *attn;
  int n_attn;
  ConvUnit *conv;
  int n_conv;
  XfmrBlock *xfmr;     // U-ViT only
  int n_xfmr;
  NormActConv head;

  Arena arena;              // every activation and scratch buffer below
  UNetScratch scratch;
  float *grad_pingpong[2];  // gradients of tensors with one reader alternate between these
  size_t max_tensor;        // floats per example of the largest tensor or scratch need
  size_t max_op_scratch;    // floats per example of conv/attention kernel scratch
  int B;                    // batch of the last forward
  const float *x;           // input of the last forward (kept for backward)
  float *fourier;           // (B,H,W,unet_input_channels) Fourier-feature input, or NULL
  float *dfourier;          // its gradient (when dx is asked for)
  const int *labels;        // labels of the last forward (kept for backward)
  const float *lambda;      // lambda of the last forward
  int use_drop;             // the last forward had a dropout key
  DropoutKey drop;          // its key, p = cfg.dropout (res blocks; XfmrBlocks have their own p)
  size_t param_mark;        // build: table total when the last step was pushed
  StepNetGradReady grad_ready; // optional backward progress hook (NULL: none)
  void *grad_ready_ctx;
  Precision precision;      // of the products (stepnet_set_precision; fp32 after create)
  Precision storage;        // of the saved product operands in the arena's plan (SavedOperand):
                            // the precision's, set with it
  Bf16Operands bf16;        // the products' rounded operands in bf16 (buf NULL in fp32)
  // bf16: the parameters with every product weight rounded to bf16 and the rest (biases,
  // norms' affine parameters, the class table) copied as they are. Forward and backward
  // read it instead of the caller's params, so each weight is rounded once per
  // optimizer step, not in every call (docs/precision.md).
  float *bf16_params;       // (params.table.total) NULL until bf16 is first set
  const float *bf16_params_of; // the params it was made from; NULL: to be made again
} StepNet;

// Internal to the models (unet_build.c, uvit_build.c): fill steps and the parameter
// table; carve the arena for B examples (run twice: measuring, then for real).
int unet_build(StepNet *u);
void unet_plan(StepNet *u, Arena *a, int B);
// Measures the plan for u->max_batch and carves it into an arena of exactly its size,
// freeing the old one; if that allocation fails and the plan fits the old arena, carves
// it there (so a smaller plan cannot fail), else fails with the old plan kept. Whatever
// the last forward saved is gone.
int stepnet_plan_arena(StepNet *u);
// After a build: stepnet_plan_arena; frees u on error.
int unet_alloc_arena(StepNet *u);
// What forward reads as its parameters (models/unet_precision.c): params in fp32; in
// bf16 u->bf16_params, made from params unless it already is (bf16_params_of).
const float *stepnet_product_params(StepNet *u, const float *params);

// Walks an architecture: the current tensor's channels and size, and a LIFO of the steps
// whose outputs a decoder CONCAT reads. Each unet_builder_* adder appends one step (and
// its parameters).
typedef struct {
  StepNet *u;
  int *stack;
  int top;
  int ch, res;
} StepNetBuilder;

// Allocates the block and step arrays for the given counts (and the builder's stack).
int unet_builder_alloc(StepNetBuilder *b, int n_res, int n_attn, int n_conv, int n_xfmr,
                       int n_steps);
void unet_builder_push_skip(StepNetBuilder *b);  // the last step's output feeds a CONCAT
int unet_builder_res(StepNetBuilder *b, UNetResample rs, int Co, const char *prefix);
int unet_builder_conv(StepNetBuilder *b, UNetResample rs, int Cout, int stride, const char *prefix);
void unet_builder_concat(StepNetBuilder *b);     // concat the top of the skip stack
int unet_builder_head(StepNetBuilder *b);        // GN-SiLU-conv3x3 to out_channels, zero-init
// A transformer half on the current (res*res, ch) tokens: arg = heads (XFMR_ATTN) or MLP
// hidden width (XFMR_MLP); p = its dropout. Its dropout site is UNET_XFMR_SITE + index.
#define UNET_XFMR_SITE 65536u
int unet_builder_xfmr(StepNetBuilder *b, XfmrKind kind, int arg, float p, const char *prefix);

// Validates cfg, builds the parameter table and the activation arena for max_batch.
int unet_create(StepNet *u, const UNetConfig *cfg, int max_batch);
void stepnet_free(StepNet *u);
size_t stepnet_num_params(const StepNet *u);      // real parameters (no padding)
size_t stepnet_param_floats(const StepNet *u);    // length of the flat buffer (with padding)
size_t stepnet_arena_bytes_per_image(const StepNet *u);
// Analytic forward FLOPs per image (2*M*N*K of every conv, linear and attention matmul).
double stepnet_flops_per_image(const StepNet *u);
// The same count for step k alone; stepnet_flops_per_image = the embedding's + the steps'.
double stepnet_step_flops(const StepNet *u, int k);

// ADM init: PyTorch default U(+-1/sqrt(fan_in)) for conv/linear, GN (1, 0), N(0,1)
// class table, zeros for the res-block output conv, attention projection and head conv.
// Deterministic in (seed, tensor index) through RNG_INIT.
void stepnet_init_params(const StepNet *u, float *params, uint64_t seed);

// out, x: (B, res, res, C_in/out); lambda (B); labels (B) in [0, K] or NULL when K = 0.
// drop: dropout key (site is the base site; res block r uses site + r) or NULL for no
// dropout. B <= max_batch. x, lambda and labels must stay valid until backward.
int stepnet_forward(StepNet *u, const float *params, float *out, const float *x, const float *lambda,
                 const int *labels, int B, const DropoutKey *drop);
// The precision of every conv, linear and attention product of forward and backward
// (ops/bf16_products.h): PREC_BF16 allocates the rounded-operand buffer for max_batch
// and the rounded weights' copy (once: a switch to PREC_FP32 keeps them for the switch
// back) and points every block at them. u must not move afterwards. The arena is planned
// again for the precision (stepnet_plan_storage): the old arena is freed before the new
// one is allocated, so a switch never holds both; a switch that runs out of memory leaves
// u in its precision (its arena allocated again, or, if even that fails, none: forward
// then refuses). Whatever the last forward saved is gone after a switch.
int stepnet_set_precision(StepNet *u, Precision p);
// Plans the arena with the saved product operands (stepnet_visit_operand_only) stored in
// `storage` (stepnet_plan_arena); on failure u keeps its plan (see stepnet_set_precision). stepnet_set_precision
// keeps storage = precision; bf16 products on fp32 storage (the tests' reference: the
// bits before bf16 storage existed) are the one other valid combination, fp32 products
// on bf16 storage are refused.
int stepnet_plan_storage(StepNet *u, Precision storage);
// In bf16 the model rounds its weights into u->bf16_params at the first forward on a
// params buffer other than the one it rounded last; a caller that writes params in place
// (an optimizer step, a load) says so here, and the next forward rounds them again.
void stepnet_params_changed(StepNet *u);

// The activations saved for backward that backward reads only as operands of products,
// so in bf16 only rounded (ops/bf16_products.h): the bf16 plan stores them in 16 bits
// (SavedOperand) with no bit of a bf16 step changed. f gets each one (B,
// floats_per_example), B <= max_batch in use. Halving them is what the bf16 plan saves
// of the arena (docs/precision.md, "Activations saved for backward").
typedef void (*StepNetSavedVisit)(void *ctx, SavedOperand *saved, size_t floats_per_example);
void stepnet_visit_operand_only(StepNet *u, StepNetSavedVisit f, void *ctx);
// Their floats per example (a sum over stepnet_visit_operand_only).
size_t stepnet_operand_only_floats(StepNet *u);

// Every attention core of the model, in model order: the U-Net's attention blocks'
// and the U-ViT's attention sublayers (what saves attention's probabilities).
typedef void (*StepNetAttnVisit)(void *ctx, AttnCore *core);
void stepnet_visit_attn_cores(StepNet *u, StepNetAttnVisit f, void *ctx);

// Accumulates dL/dparams into grads (flat, same layout as params) from dout (B,H,W,Cout);
// dx (B,H,W,Cin) and dlambda (B) are accumulated too unless NULL.
int stepnet_backward(StepNet *u, const float *params, float *grads, const float *dout, float *dx,
                  float *dlambda);

#endif
