// VDM's learned monotonic noise schedule (VDM App. H and Eq. 59 of the VDM notes):
//   gamma~(t) = l1(t) + l3(sigmoid(l2(2t - 1))) / n     (l2: n = 1024 units)
//   lambda(t) = lambda_max - (lambda_max - lambda_min) (gamma~(t) - gamma~(0)) / (gamma~(1) - gamma~(0))
// with gamma = -lambda. All weights enter through |w| so gamma~ increases with t
// and lambda decreases; the endpoint normalisation pins f(0) = lambda_max and
// f(1) = lambda_min (so l1's bias cancels and only the shape is learned).
// Following the VDM code (vdm/model_vdm.py NoiseSchedule_NNet), l2 reads 2t - 1
// rather than l1(t) as the notes' formula writes; both are monotonic, and with the
// normalisation they span the same family up to l2's bias. We drop the code's
// 2 (sigmoid - 1/2) affine map, which the normalisation cancels.
//
// Parameters live in the model's flat buffer, named "<prefix>.l1.weight" (1),
// "<prefix>.l1.bias" (1), "<prefix>.l2.weight" (n), "<prefix>.l2.bias" (n),
// "<prefix>.l3.weight" (n). Evaluation is float64 from the float32 parameters.
#ifndef VDMC_DIFFUSION_SCHEDULE_LEARNED_H
#define VDMC_DIFFUSION_SCHEDULE_LEARNED_H

#include <stddef.h>

#include "core/param_table.h"

typedef struct LearnedSchedule {
  double lambda_min, lambda_max;
  size_t n_features;
  const float *params;  // the flat parameter buffer (not owned); set before use
  size_t off_w1, off_b1, off_w2, off_b2, off_w3;
} LearnedSchedule;

// Adds the five tensors to the table and records their offsets.
int learned_register(LearnedSchedule *ls, ParamTable *table, const char *prefix,
                     size_t n_features, double lambda_min, double lambda_max);
// The configuration vdmc trains and stores (VDM's: 1024 sigmoid units).
#define LEARNED_FEATURES 1024
#define LEARNED_PREFIX "schedule"
// Checkpoint extra of a run trained with the learned schedule: 3 n doubles, the n
// parameters of the flat buffer, then Adam's m and v (train/train_schedule.h).
#define LEARNED_CHECKPOINT_EXTRA "learned_schedule"

// A learned schedule on [lambda_min, lambda_max] with its own flat buffer: registers
// LEARNED_FEATURES units under LEARNED_PREFIX in a fresh *table, allocates *params
// (table->total floats, initialised by learned_init_params) and points ls->params at
// it. On failure nothing is left allocated.
int learned_create(LearnedSchedule *ls, ParamTable *table, float **params, double lambda_min,
                   double lambda_max);

// A learned schedule with the state a run keeps of it: its parameters, their Adam
// moments (zero until trained), and the checkpoint extra LEARNED_CHECKPOINT_EXTRA
// that carries all three. ls.params points at params: do not copy the struct.
typedef struct {
  LearnedSchedule ls;
  ParamTable table;
  float *params, *adam_m, *adam_v;  // (table.total)
  double *packed;                   // (3 table.total) params | adam_m | adam_v, as checkpointed
} LearnedState;

// learned_create plus zeroed moments and the packed buffer. On failure nothing is
// left allocated.
int learned_state_create(LearnedState *s, double lambda_min, double lambda_max);
void learned_state_free(LearnedState *s);
// packed <- (params, adam_m, adam_v) before a checkpoint is written; the reverse after
// one was read.
void learned_state_pack(LearnedState *s);
void learned_state_unpack(LearnedState *s);

// Deterministic initialisation (no RNG needed): l1 = t, l2 units with slopes in
// [1, 5] and centres spread over t in [0, 1], l3 = 0.01: an almost linear start.
void learned_init_params(const LearnedSchedule *ls, float *params);
// Fails unless gamma~(1) > gamma~(0) (the network is not degenerate).
int learned_check(const LearnedSchedule *ls);

double learned_lambda(const LearnedSchedule *ls, double t);
double learned_dlambda_dt(const LearnedSchedule *ls, double t);
double learned_time(const LearnedSchedule *ls, double lambda);  // bisection, |dt| < 1e-15

// Backward: given dL/dlambda(t_i) and dL/d(dlambda/dt)(t_i) for n times t_i,
// ACCUMULATES dL/dparams into grad (same layout as the flat buffer). Either
// gradient array may be NULL (zero).
void learned_backward(const LearnedSchedule *ls, float *grad, const double *t,
                      const double *g_lambda, const double *g_slope, size_t n);

#endif
