// Training VDM's learned noise schedule inside `vdmc train` (VDM Sec. 5.2, App. I.2).
// With its endpoints fixed, the schedule's shape does not change the expected loss
// L = 1/2 E_t[w(lambda_t) (-dlambda/dt) ||eps_hat - eps||^2] (VDM++ Eq. 7: the schedule
// is only an importance distribution over lambda); it changes the variance of the
// per-example estimate. Like VDM, the schedule parameters eta descend the gradient of
// that variance, i.e. of the mean over the global batch of (L_b / D)^2:
//   d/d eta mean_b (L_b/D)^2 = mean_b 2 (L_b/D) (1/D) [dL_b/dlambda_b dlambda_b/deta
//                                                       + dL_b/dlambda'_b dlambda'_b/deta]
// while the network keeps descending the loss itself. dL_b/dlambda_b has three paths:
// the factor w(lambda) (diffusion_loss_schedule_grads), the network's noise
// conditioning (stepnet_backward's dlambda) and the input z = alpha x + sigma eps
// (stepnet_backward's dx times dz/dlambda = alpha sigma^2 x / 2 - sigma alpha^2 eps / 2).
// With the eps parameterization eps_hat is the network output, so these are all; other
// parameterizations add terms through the output conversion and are refused.
// The schedule's parameters are replicated on every rank: their gradient is summed
// with one small all-reduce and every rank takes the same Adam step (no clipping, the
// network's lr). Legend: b local batch, n micro-batch, D values per example.
#ifndef VDMC_TRAIN_TRAIN_SCHEDULE_H
#define VDMC_TRAIN_TRAIN_SCHEDULE_H

#include <mpi.h>
#include <stddef.h>

#include "core/param_table.h"
#include "diffusion/schedule.h"
#include "diffusion/schedule_learned.h"
#include "diffusion/weighting.h"
#include "optim/adam.h"

typedef struct {
  LearnedState *st;                         // the schedule, its parameters and Adam moments (not owned)
  float *grads;                             // (st->table.total)
  double *gsum;                             // (st->table.total) the gradient summed over ranks
  float *dz;                                // (mb, D) dL/dz of a micro-batch, scaled like dout
  float *dlambda;                           // (mb) dL/dlambda through the noise conditioning
  double *g_lambda, *g_slope;               // (mb) per-example gradients into lambda, lambda'
  size_t D;
  int mb;
} TrainSchedule;

// The training buffers of st's schedule (which the run's objective owns and has
// attached to its Schedule). mb: the largest micro-batch.
int train_schedule_init(TrainSchedule *s, LearnedState *st, int mb, size_t D);
void train_schedule_free(TrainSchedule *s);

// Before each micro-batch's backward: clears dz and dlambda.
void train_schedule_begin_micro(TrainSchedule *s, int n);
// After the backward of a micro-batch of n examples (x, eps: (n, D); t, lambda, loss,
// sqerr: (n)) whose dout was scaled by `scale` = 1/(B D): accumulates the variance
// gradient into s->grads (B: the global batch).
void train_schedule_accumulate(TrainSchedule *s, const Weighting *w, const float *x, const float *eps,
                               const double *t, const double *lambda, const double *loss,
                               const double *sqerr, int n, double scale, int B);
// Sums the gradient over ranks; returns the status. *finite: 0 if any element is not.
int train_schedule_reduce(TrainSchedule *s, MPI_Comm comm, int *finite);
// One Adam step of the schedule, then re-prepares sch.
int train_schedule_update(TrainSchedule *s, Schedule *sch, const AdamConfig *adam, double lr, long step1);

#endif
