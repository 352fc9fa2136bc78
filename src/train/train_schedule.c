// The learned schedule's variance-minimising training (train_schedule.h).
#include "train/train_schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "diffusion/loss.h"
#include "diffusion/parameterization.h"
#include "mpi/reduce.h"

int train_schedule_init(TrainSchedule *s, LearnedState *st, int mb, size_t D) {
  memset(s, 0, sizeof *s);
  s->st = st;
  size_t n = st->table.total;
  s->D = D;
  s->mb = mb;
  s->grads = vdmc_alloc_floats(n);
  s->dz = vdmc_alloc_floats((size_t)mb * D);
  s->dlambda = vdmc_alloc_floats((size_t)mb);
  s->gsum = calloc(n, sizeof(double));
  s->g_lambda = calloc((size_t)mb, sizeof(double));
  s->g_slope = calloc((size_t)mb, sizeof(double));
  if (!s->grads || !s->dz || !s->dlambda || !s->gsum || !s->g_lambda || !s->g_slope)
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the learned schedule's training buffers");
  memset(s->grads, 0, n * sizeof(float));
  return VDMC_OK;
}

void train_schedule_free(TrainSchedule *s) {
  vdmc_free_floats(s->grads);
  vdmc_free_floats(s->dz);
  vdmc_free_floats(s->dlambda);
  free(s->gsum);
  free(s->g_lambda);
  free(s->g_slope);
  memset(s, 0, sizeof *s);
}

void train_schedule_begin_micro(TrainSchedule *s, int n) {
  memset(s->dz, 0, (size_t)n * s->D * sizeof(float));
  memset(s->dlambda, 0, (size_t)n * sizeof(float));
}

void train_schedule_accumulate(TrainSchedule *s, const Weighting *w, const float *x, const float *eps,
                               const double *t, const double *lambda, const double *loss,
                               const double *sqerr, int n, double scale, int B) {
  const size_t D = s->D;
  memset(s->g_lambda, 0, (size_t)n * sizeof(double));
  memset(s->g_slope, 0, (size_t)n * sizeof(double));
  // dL_b/dlambda_b and dL_b/dlambda'_b through the factor w(lambda) (-dlambda/dt)
  diffusion_loss_schedule_grads(s->g_lambda, s->g_slope, loss, sqerr, lambda, w, (size_t)n, 1.0);
  for (int b = 0; b < n; b++) {
    double alpha, sigma;
    vp_alpha_sigma(lambda[b], &alpha, &sigma);
    // z = alpha x + sigma eps with alpha^2 = sigmoid(lambda), sigma^2 = sigmoid(-lambda):
    // dalpha/dlambda = alpha sigma^2 / 2, dsigma/dlambda = -sigma alpha^2 / 2.
    const double ca = 0.5 * alpha * sigma * sigma, ce = -0.5 * sigma * alpha * alpha;
    const float *xb = x + (size_t)b * D, *eb = eps + (size_t)b * D, *gz = s->dz + (size_t)b * D;
    double through_z = 0;
    for (size_t i = 0; i < D; i++) through_z += (double)gz[i] * (ca * xb[i] + ce * eb[i]);
    s->g_lambda[b] += (through_z + (double)s->dlambda[b]) / scale;
    // the variance objective mean_b (L_b/D)^2 over the global batch
    double c = 2.0 * (loss[b] / (double)D) / (double)D / (double)B;
    s->g_lambda[b] *= c;
    s->g_slope[b] *= c;
  }
  learned_backward(&s->st->ls, s->grads, t, s->g_lambda, s->g_slope, (size_t)n);
}

int train_schedule_reduce(TrainSchedule *s, MPI_Comm comm, int *finite) {
  size_t n = s->st->table.total;
  double *g = s->gsum;
  for (size_t i = 0; i < n; i++) g[i] = s->grads[i];
  int rc = reduce_sum_doubles(g, (int)n, comm);
  if (rc) return rc;
  // l1's bias cancels in the endpoint normalisation (schedule_learned.h): its exact
  // gradient is 0, and what the float sums leave is rounding that Adam's normalisation
  // would turn into full-size steps of different sign at different rank counts.
  g[s->st->ls.off_b1] = 0;
  *finite = 1;
  for (size_t i = 0; i < n; i++) {
    s->grads[i] = (float)g[i];
    if (!isfinite(s->grads[i])) *finite = 0;
  }
  return VDMC_OK;
}

int train_schedule_update(TrainSchedule *s, Schedule *sch, const AdamConfig *adam, double lr, long step1) {
  LearnedState *st = s->st;
  int rc = adam_step_slice(st->params, st->adam_m, st->adam_v, s->grads, 0, st->table.total, &st->table, adam, lr,
                           step1, 1.0f);
  return rc ? rc : schedule_prepare(sch);
}
