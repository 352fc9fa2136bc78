// Winograd F(2x2, 3x3) convolution on NHWC tensors (see conv2d_winograd.h, docs/ops.md).
// Legend: T tiles = B * ceil(Ho/2) * ceil(Wo/2), a tile = 2x2 output pixels read from a
// 4x4 input window at (2ty - pad_h, 2tx - pad_w); xi = 0..15 a transformed position.
//
//   weight   U[xi] (Cin, Cout)  = G g G^T            G   = [1 0 0; h h h; h -h h; 0 0 1], h = 1/2
//   input    V[xi] (T, Cin)     = B^T d B            B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   product  M[xi] (T, Cout)    = V[xi] . U[xi]      (16 GEMMs)
//   output   y (2x2)            = A^T m A            A^T = [1 1 1 0; 0 1 -1 -1]
// Backward, the adjoint of each line: dM = A dY A^T per tile, dU[xi] = V[xi]^T . dM[xi],
// dg = G^T dU G. dinp is not computed here: conv2d.c runs it as the forward of the
// transposed conv (flipped kernel), which takes this path too.
// The transforms' entries are 0, +-1 and 1/2, so the only rounding besides the GEMMs is
// in a few additions per value.
//
// Threads: as in conv2d.c, the forward cuts the tiles into blocks chosen from the shape,
// one thread transforms, multiplies
// and writes back a whole block in its own scratch slot. dW walks chunks of tiles:
// transforms over the threads, then the 16 GEMMs of a chunk one per thread, each
// accumulating into its own dU[xi]. Every sum has the same order for any thread count.
#include "ops/conv2d_winograd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/gemm.h"
#include "ops/gemm_bf16.h"
#include "ops/gemm_small.h"
#include "ops/parallel.h"
#include "ops/winograd_transforms.h"

enum {
  WINO_MIN_CHANNELS = 16,  // below: im2col's K = 9*Cin keeps the GEMM efficient
  WINO_SLOTS = 8,          // forward blocks multiplied at once (as conv2d.c's CONV_SLOTS)
};
// A forward block holds about this many floats of V and M (512 KB: Zen 3's L2; 2 MB
// blocks measured 5-25% slower in bench_ops), a dW chunk WINO_DW_CHUNK_FLOATS (1 MB;
// 512 KB measured the same, 4-8 MB 5-20% slower).
#define WINO_BLOCK_FLOATS ((size_t)1 << 17)
#define WINO_DW_CHUNK_FLOATS ((size_t)1 << 18)

int conv2d_winograd_applies(const Conv2dDims *d) {
  return d->algo == CONV_ALGO_AUTO && d->kh == 3 && d->kw == 3 && d->stride == 1 &&
         d->pad_h >= 0 && d->pad_h <= 2 && d->pad_w >= 0 && d->pad_w <= 2 &&
         d->Cin >= WINO_MIN_CHANNELS && d->Cout >= WINO_MIN_CHANNELS;
}

static int tiles_h(const Conv2dDims *d) { return (conv2d_out_h(d) + 1) / 2; }
static int tiles_w(const Conv2dDims *d) { return (conv2d_out_w(d) + 1) / 2; }
static size_t tiles_total(const Conv2dDims *d) {
  return (size_t)d->B * (size_t)tiles_h(d) * (size_t)tiles_w(d);
}

// Tiles per forward block: V and M of a block in WINO_BLOCK_FLOATS, at most 1/WINO_SLOTS
// of the tiles (so the threads share the work), a multiple of GEMM_ROW_ALIGN.
static size_t block_tiles(const Conv2dDims *d, size_t budget, size_t slots) {
  const size_t per_tile = WINO_POS * (size_t)(d->Cin + d->Cout);
  size_t t = budget / per_tile, share = (tiles_total(d) + slots - 1) / slots;
  if (t > share) t = share;
  t = t / GEMM_ROW_ALIGN * GEMM_ROW_ALIGN;
  return t < GEMM_ROW_ALIGN ? GEMM_ROW_ALIGN : t;
}

static size_t fwd_block_tiles(const Conv2dDims *d) {
  return block_tiles(d, WINO_BLOCK_FLOATS, WINO_SLOTS);
}
static size_t dw_chunk_tiles(const Conv2dDims *d) {
  return block_tiles(d, WINO_DW_CHUNK_FLOATS, 1);
}

// The 16 planes of V (or M, dM) of a block sit one plane stride apart. A stride of
// tiles * C floats is a multiple of 4 KB for the usual sizes (96 tiles x 32 channels =
// 12 KB), which puts the 16 rows a tile transform writes (and the output transform
// reads) in the same L1 set: more rows than the set has ways. One cache line of padding
// per plane spreads them over 16 sets.
enum { WINO_PLANE_PAD = 16 };

static size_t plane_stride(size_t tiles, int C) { return tiles * (size_t)C + WINO_PLANE_PAD; }

// Floats of V and M (or dM) for `tiles` tiles.
static size_t tile_buffer_floats(const Conv2dDims *d, size_t tiles) {
  return WINO_POS * (plane_stride(tiles, d->Cin) + plane_stride(tiles, d->Cout));
}

static size_t max_channels(const Conv2dDims *d) {
  return (size_t)(d->Cin > d->Cout ? d->Cin : d->Cout);
}

// Scratch: [zeros (C) | 4 dummy rows (4C) | U or dU (16, Cin, Cout) | tile buffers].
size_t winograd_scratch_floats(const Conv2dDims *d) {
  const size_t head = 5 * max_channels(d) + WINO_POS * (size_t)d->Cin * (size_t)d->Cout;
  const size_t fwd = WINO_SLOTS * tile_buffer_floats(d, fwd_block_tiles(d));
  const size_t dw = tile_buffer_floats(d, dw_chunk_tiles(d));
  return head + (fwd > dw ? fwd : dw);
}

typedef struct {
  float *zeros, *dummy, *u, *tiles;
} WinoScratch;

static WinoScratch scratch_split(const Conv2dDims *d, float *scratch) {
  const size_t c = max_channels(d);
  WinoScratch s = {scratch, scratch + c, scratch + 5 * c,
                   scratch + 5 * c + WINO_POS * (size_t)d->Cin * (size_t)d->Cout};
  memset(s.zeros, 0, c * sizeof(float));
  return s;
}

// ---- tiles ------------------------------------------------------------------------------

// Where tile t lies: example b, tile row ty, tile column tx. Loops over consecutive
// tiles step with tile_next instead of dividing t again (three 64-bit divisions per
// tile were ~4% of the fmnist step).
typedef struct {
  size_t b;
  int ty, tx;
  int th, tw, Ho, Wo;  // tiles per column and row, output size (constants of the conv)
} TilePos;

static TilePos tile_pos(const Conv2dDims *d, size_t t) {
  const int th = tiles_h(d), tw = tiles_w(d);
  const size_t per = (size_t)th * (size_t)tw;
  return (TilePos){t / per, (int)(t % per / (size_t)tw), (int)(t % (size_t)tw), th, tw,
                   conv2d_out_h(d), conv2d_out_w(d)};
}

static void tile_next(TilePos *pos) {
  if (++pos->tx < pos->tw) return;
  pos->tx = 0;
  if (++pos->ty < pos->th) return;
  pos->ty = 0;
  pos->b++;
}

// The 16 input pixels of the tile at pos (rows 2ty - pad_h + i, columns 2tx - pad_w + j),
// or `zeros` outside the image.
static void tile_inputs(const float *p[WINO_POS], const float *inp, const Conv2dDims *d,
                        TilePos pos, const float *zeros) {
  const size_t C = (size_t)d->Cin;
  for (int i = 0; i < 4; i++) {
    const int iy = 2 * pos.ty - d->pad_h + i;
    for (int j = 0; j < 4; j++) {
      const int ix = 2 * pos.tx - d->pad_w + j;
      const int inside = iy >= 0 && iy < d->H && ix >= 0 && ix < d->W;
      p[i * 4 + j] =
          inside ? inp + ((pos.b * (size_t)d->H + (size_t)iy) * (size_t)d->W + (size_t)ix) * C
                 : zeros;
    }
  }
}

// Offsets into (B,Ho,Wo,C) of the 4 output pixels of the tile at pos; inside[k] = 0 for
// those past the image's edge (odd Ho or Wo): they are computed and dropped, and their
// gradient reads as zero.
static void tile_outputs(size_t off[4], int inside[4], const Conv2dDims *d, TilePos pos) {
  const size_t C = (size_t)d->Cout, Ho = (size_t)pos.Ho, Wo = (size_t)pos.Wo;
  for (size_t k = 0; k < 4; k++) {
    const size_t oy = 2 * (size_t)pos.ty + k / 2, ox = 2 * (size_t)pos.tx + k % 2;
    inside[k] = oy < Ho && ox < Wo;
    off[k] = ((pos.b * Ho + oy) * Wo + ox) * C;
  }
}

// ---- forward ---------------------------------------------------------------------------

typedef struct {
  float *out;
  const float *inp, *bias;
  const Conv2dDims *d;
  WinoScratch s;
  size_t block;  // tiles per block
  float beta;
  const WinoKernels *kin, *kout;  // transforms for rows of Cin and of Cout channels
  const uint32_t *packed_u;       // on the bf16 kernel: U's 16 planes packed once, or NULL
  size_t plane_words;             // words of one packed plane
  int round;                      // in a bf16 region: the input transform rounds inp
} WinoRun;

static void forward_blocks(void *ctx, int part, size_t lo, size_t hi) {
  const WinoRun *j = ctx;
  const Conv2dDims *d = j->d;
  const size_t T = tiles_total(d), Ci = (size_t)d->Cin, Co = (size_t)d->Cout;
  const size_t ldv = plane_stride(j->block, d->Cin), ldm = plane_stride(j->block, d->Cout);
  float *v = j->s.tiles + (size_t)part * tile_buffer_floats(d, j->block);
  float *m = v + WINO_POS * ldv;
  const int accumulate = !j->bias && j->beta != 0.0f;
  for (size_t blk = lo; blk < hi; blk++) {
    const size_t t0 = blk * j->block, n = T - t0 < j->block ? T - t0 : j->block;
    TilePos pos = tile_pos(d, t0);
    for (size_t r = 0; r < n; r++, tile_next(&pos)) {
      const float *p[WINO_POS];
      tile_inputs(p, j->inp, d, pos, j->s.zeros);
      j->kin->input(v + r * Ci, ldv, p, Ci, j->round);
    }
    for (size_t x = 0; x < WINO_POS; x++)
      if (j->packed_u)  // what gemm_small does in a bf16 region, without packing U again
        gemm_bf16_packed(n, Co, Ci, 1.0f, v + x * ldv, Ci, 1, j->packed_u + x * j->plane_words,
                         0.0f, m + x * ldm, Co);
      else
        gemm_small(n, Co, Ci, v + x * ldv, Ci, 1, j->s.u + x * Ci * Co, Co, 0, m + x * ldm, Co);
    pos = tile_pos(d, t0);
    for (size_t r = 0; r < n; r++, tile_next(&pos)) {
      size_t off[4];
      int inside[4];
      float *q[4];
      tile_outputs(off, inside, d, pos);
      for (int k = 0; k < 4; k++) q[k] = inside[k] ? j->out + off[k] : j->s.dummy + k * Co;
      j->kout->output(q, m + r * Co, ldm, j->bias, accumulate, Co);
    }
  }
}

typedef struct {
  float *out;       // U (16, Cin, Cout), or dg (3, 3, Cin, Cout)
  const float *in;  // g, or dU
  size_t n;         // Cin * Cout
} WeightArgs;

static void weight_transform_range(void *ctx, size_t lo, size_t hi) {
  const WeightArgs *a = ctx;
  wino_kernels_for(hi - lo)->weight(a->out, a->in, a->n, lo, hi);
}

static void weight_grad_range(void *ctx, size_t lo, size_t hi) {
  const WeightArgs *a = ctx;
  wino_kernels_for(hi - lo)->weight_grad(a->out, a->in, a->n, lo, hi);
}

static void weight_transform(float *u, const float *weight, const Conv2dDims *d) {
  const size_t n = (size_t)d->Cin * (size_t)d->Cout;
  WeightArgs a = {u, weight, n};
  par_for(n, 1, WINO_POS * n, weight_transform_range, &a);
}

// U's planes packed for the bf16 kernel, once per conv: every block of tiles multiplies
// the same 16 planes, which gemm_small would pack again per block (4% of an fmnist bf16
// step). One buffer, grown to the largest conv and kept: ops run one at a time.
static uint32_t *packed_planes;
static size_t packed_planes_words;

typedef struct {
  uint32_t *dst;
  const float *u;
  size_t Ci, Co, words;
} PackArgs;

static void pack_plane_range(void *ctx, size_t lo, size_t hi) {
  const PackArgs *a = ctx;
  for (size_t x = lo; x < hi; x++)
    gemm_bf16_pack(a->dst + x * a->words, a->Ci, a->Co, a->u + x * a->Ci * a->Co, a->Co, 1);
}

// The packed planes, or NULL (then gemm_small packs them per block: the same bits) when
// the buffer cannot grow.
static const uint32_t *pack_planes(const float *u, size_t Ci, size_t Co, size_t *plane_words) {
  const size_t words = gemm_bf16_pack(NULL, Ci, Co, NULL, Co, 1), need = WINO_POS * words;
  if (need > packed_planes_words) {
    free(packed_planes);
    packed_planes_words = 0;
    // 64-byte aligned for the kernel's loads; a multiple of 64 bytes as aligned_alloc wants
    packed_planes = aligned_alloc(64, (need * sizeof(uint32_t) + 63) / 64 * 64);
    if (!packed_planes) return NULL;
    packed_planes_words = need;
  }
  PackArgs a = {packed_planes, u, Ci, Co, words};
  par_for(WINO_POS, 1, need, pack_plane_range, &a);
  *plane_words = words;
  return packed_planes;
}

void winograd_forward(float *out, const float *inp, const float *weight, const float *bias,
                      const Conv2dDims *d, float *scratch, float beta) {
  WinoRun j = {out, inp, bias, d, scratch_split(d, scratch), fwd_block_tiles(d), beta,
               wino_kernels_for((size_t)d->Cin), wino_kernels_for((size_t)d->Cout), NULL, 0,
               gemm_bf16_in_region()};
  weight_transform(j.s.u, weight, d);
  if (gemm_bf16_active())
    j.packed_u = pack_planes(j.s.u, (size_t)d->Cin, (size_t)d->Cout, &j.plane_words);
  const size_t T = tiles_total(d), blocks = (T + j.block - 1) / j.block;
  const size_t flops = T * WINO_POS * (size_t)d->Cin * (size_t)d->Cout;
  const int parts = blocks < WINO_SLOTS ? (int)blocks : WINO_SLOTS;
  par_for_parts(blocks, 1, flops / 16, parts, forward_blocks, &j);
}

// ---- weight gradient -------------------------------------------------------------------

typedef struct {
  const float *inp, *dout;
  const Conv2dDims *d;
  WinoScratch s;
  size_t t0, chunk;  // the chunk's first tile and its capacity in tiles
  size_t ldv, ldm;   // plane strides of V and dM (plane_stride of chunk tiles)
  const WinoKernels *kin, *kout;  // transforms for rows of Cin and of Cout channels
  int first;         // 1: the chunk's GEMMs overwrite dU
  int round;         // in a bf16 region: the transforms round inp and dout
} WinoGrad;

// Tiles [lo, hi) of the chunk: V rows from inp, dM rows from dout.
static void grad_transform_range(void *ctx, size_t lo, size_t hi) {
  const WinoGrad *g = ctx;
  const Conv2dDims *d = g->d;
  const size_t Ci = (size_t)d->Cin, Co = (size_t)d->Cout;
  const size_t ldv = g->ldv, ldm = g->ldm;
  float *v = g->s.tiles, *dm = v + WINO_POS * ldv;
  TilePos pos = tile_pos(d, g->t0 + lo);
  for (size_t r = lo; r < hi; r++, tile_next(&pos)) {
    const float *p[WINO_POS], *q[4];
    size_t off[4];
    int inside[4];
    tile_inputs(p, g->inp, d, pos, g->s.zeros);
    g->kin->input(v + r * Ci, ldv, p, Ci, g->round);
    tile_outputs(off, inside, d, pos);
    for (int k = 0; k < 4; k++) q[k] = inside[k] ? g->dout + off[k] : g->s.zeros;
    g->kout->grad_output(dm + r * Co, ldm, q, Co, g->round);
  }
}

typedef struct {
  const WinoGrad *g;
  size_t rows;
} WinoGemms;

// dU[xi] (Cin, Cout) (+)= V[xi]^T . dM[xi] for xi in [lo, hi).
static void grad_gemm_range(void *ctx, size_t lo, size_t hi) {
  const WinoGemms *w = ctx;
  const WinoGrad *g = w->g;
  const size_t Ci = (size_t)g->d->Cin, Co = (size_t)g->d->Cout;
  const float *v = g->s.tiles, *dm = v + WINO_POS * g->ldv;
  for (size_t x = lo; x < hi; x++)  // V[xi]^T: element (ci, tile) at ci + tile * Ci
    gemm_small(Ci, Co, w->rows, v + x * g->ldv, 1, Ci, dm + x * g->ldm, Co, !g->first,
               g->s.u + x * Ci * Co, Co);
}

void winograd_dweight(float *dweight, const float *dout, const float *inp, const Conv2dDims *d,
                      float *scratch) {
  const size_t T = tiles_total(d), Ci = (size_t)d->Cin, Co = (size_t)d->Cout;
  const size_t chunk = dw_chunk_tiles(d);
  WinoGrad g = {.inp = inp, .dout = dout, .d = d, .s = scratch_split(d, scratch), .chunk = chunk,
                .ldv = plane_stride(chunk, d->Cin), .ldm = plane_stride(chunk, d->Cout),
                .kin = wino_kernels_for((size_t)d->Cin), .kout = wino_kernels_for((size_t)d->Cout),
                .first = 1, .round = gemm_bf16_in_region()};
  for (g.t0 = 0; g.t0 < T; g.t0 += g.chunk, g.first = 0) {
    const size_t rows = T - g.t0 < g.chunk ? T - g.t0 : g.chunk;
    par_for(rows, 1, rows * WINO_POS * (Ci + Co), grad_transform_range, &g);
    WinoGemms w = {&g, rows};
    par_for(WINO_POS, 1, rows * WINO_POS * Ci * Co / 16, grad_gemm_range, &w);
  }
  WeightArgs a = {dweight, g.s.u, Ci * Co};
  par_for(Ci * Co, 1, WINO_POS * Ci * Co, weight_grad_range, &a);
}
