// bfloat16 rounding of float32 buffers for mixed-precision training (docs/precision.md).
// A bf16 value is kept as the float32 it equals (low 16 bits zero), so the fp32 kernels
// multiply bf16 operands exactly and accumulate in fp32: the same numbers a vdpbf16ps
// kernel gives, up to the order of the fp32 sums.
#ifndef VDMC_OPS_BF16_H
#define VDMC_OPS_BF16_H

#include <stddef.h>
#include <stdint.h>

// What a model's products take as operands (config key train.precision).
typedef enum { PREC_FP32 = 0, PREC_BF16 = 1 } Precision;

// dst[i] = src[i] rounded to the nearest bfloat16, ties to even (core/half_float.h's
// bf16_from_f32 bit for bit: NaN stays a quiet NaN, finite values past bf16's largest
// round to +-inf, subnormals round on the same grid). dst may equal src. Threaded.
// dst, src: (n)
void round_to_bf16(float *dst, const float *src, size_t n);

// Values an op reads as float32 (f32), or as the bf16 bits they are stored in (bf16,
// with f32 NULL): a bf16 run's 16-bit activations (ops/bf16_products.h), attention's P
// and dS on the bf16 kernel (ops/attention.c).
typedef struct {
  const float *f32;
  const uint16_t *bf16;
} MixedInput;
// x as float32 values.
MixedInput mixed_input_f32(const float *x);

// The bf16 gradient reduction (mpi.reduce_precision: bf16, docs/mpi.md) keeps bf16 as
// its 16 bits, half the bytes on the wire. pack_bf16, widen_bf16 and add_bf16 are serial:
// MPI calls add_bf16 from its progress (possibly the gradient progress thread, while
// backward runs par_for).
// dst[i] = the bf16 bits of src[i], rounded exactly as round_to_bf16.
// dst: (n) src: (n)
void pack_bf16(uint16_t *dst, const float *src, size_t n);
// dst[i] = src[i] as float32 (exact).
// dst: (n) src: (n)
void widen_bf16(float *dst, const uint16_t *src, size_t n);
// The same two, threaded (ops/parallel.h), for activations a bf16 run saves in 16 bits
// (models/saved_operand.h): never from MPI's progress.
// dst: (n) src: (n)
void pack_bf16_threaded(uint16_t *dst, const float *src, size_t n);
// dst: (n) src: (n)
void widen_bf16_threaded(float *dst, const uint16_t *src, size_t n);
// inout[i] = bf16(inout[i] + in[i]): the sum of two bf16 values in float32, rounded
// back to bf16 as pack_bf16 (one reduction hop of the bf16 gradient sum).
// inout: (n) in: (n)
void add_bf16(uint16_t *inout, const uint16_t *in, size_t n);

// The bf16 path train.precision: bf16 runs on this CPU, for `vdmc blas` and `vdmc train`:
// the AVX512-BF16 kernel where the CPU has it (ops/gemm_bf16.h), else the portable one
// (round, then the fp32 kernels), saying whether the CPU has the instructions.
const char *bf16_path_name(void);

#endif
