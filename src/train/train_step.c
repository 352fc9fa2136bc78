// One data-parallel training step (issue: the step):
// batch -> label dropout, t, eps, z -> forward -> weighted loss -> backward with
// overlapped gradient buckets -> finish sync -> one metrics reduction (loss, squared
// norm of a ZeRO shard, non-finite, stop and data-error flags, phase times) -> clip -> Adam ->
// EMA -> adaptive-schedule bins (one reduction) or the learned schedule's variance
// gradient (one reduction, train_schedule.h) -> counters.
#include <math.h>
#include <string.h>

#include "core/rng.h"
#include "core/signals.h"
#include "core/status.h"
#include "diffusion/loss.h"
#include "diffusion/parameterization.h"
#include "mpi/agree.h"
#include "optim/clip.h"
#include "train/trainer.h"
#include "train/trainer_power_ema.h"

// Indices of the per-step metrics reduced in one call.
enum { M_LOSS = 0, M_LOSS_SQ, M_SQNORM, M_NONFINITE, M_STOP, M_DATA_ERROR, M_PHASE0, M_COUNT = M_PHASE0 + PHASE_COUNT };

static double now(void) { return MPI_Wtime(); }

// Label dropout (classifier-free guidance), t, lambda, the loss factor, eps and z for
// the local examples; every draw keyed by the global example index.
static void draw_noise(Trainer *t) {
  const Config *c = &t->run.cs.values;
  uint64_t seed = (uint64_t)c->run.seed, step = (uint64_t)t->step;
  lowdisc_times(t->t, (size_t)t->b, (size_t)t->first, (size_t)t->B, lowdisc_offset(seed, step));
  for (int i = 0; i < t->b; i++) {
    uint64_t g = (uint64_t)(t->first + i);
    int label = t->num_classes > 0 ? t->labels_raw[i] : 0;
    if (t->num_classes > 0 && c->diffusion.label_dropout > 0) {
      RngStream s = {seed, RNG_LABEL_DROP, 0, step, g};
      if (rng_uniform_double(&s, 0) < c->diffusion.label_dropout) label = t->num_classes;
    }
    t->labels[i] = label;
    t->weight[i] = diffusion_loss_weight(&t->run.obj.schedule, &t->run.obj.weighting, t->t[i], &t->lambda[i]);
    t->lambda_f[i] = (float)t->lambda[i];
    RngStream ns = {seed, RNG_NOISE, 0, step, g};
    float *eps = t->eps + (size_t)i * t->D;
    rng_normal(eps, t->D, &ns, 0);
    double alpha, sigma;
    vp_alpha_sigma(t->lambda[i], &alpha, &sigma);
    const float *x = t->x + (size_t)i * t->D;
    float *z = t->z + (size_t)i * t->D;
    for (size_t j = 0; j < t->D; j++) z[j] = (float)(alpha * x[j] + sigma * eps[j]);
  }
}

static int all_finite(const float *p, size_t n) {
  float acc = 0;
  for (size_t i = 0; i < n; i++) acc += p[i] * 0.0f;  // NaN/Inf propagate, finite give 0
  return acc == 0.0f;
}

// Adds this step's per-bin sums of w(lambda) ||eps - eps_hat||^2 / D, reduces them over
// ranks (one collective) and updates the adaptive schedule.
static int update_adaptive(Trainer *t) {
  double *sum = t->bins, *count = t->bins + ADAPTIVE_BINS;
  memset(t->bins, 0, sizeof t->bins);
  for (int i = 0; i < t->b; i++) {
    double v = weighting_eval(&t->run.obj.weighting, t->lambda[i]) * t->sqerr[i] / (double)t->D;
    adaptive_accumulate(&t->run.obj.adaptive, sum, count, &t->lambda[i], &v, 1);
  }
  int rc = reduce_sum_doubles(t->bins, 2 * ADAPTIVE_BINS, t->comm.comm);
  if (!rc) rc = adaptive_update(&t->run.obj.adaptive, sum, count);
  if (!rc) rc = schedule_prepare(&t->run.obj.schedule);
  return rc;
}

static int apply_update(Trainer *t, double sqnorm, TrainStepStats *st) {
  const Config *c = &t->run.cs.values;
  double norm;
  float scale;
  int rc = clip_scale(sqnorm, c->optim.grad_clip, &norm, &scale);
  if (rc) return rc;
  st->grad_norm = norm;
  long step1 = (long)t->step + 1;  // Adam and the lr count steps from 1
  st->lr = lr_schedule_at(&t->lr, step1, t->B);
  GradSync *g = &t->sync;
  rc = adam_step_slice(t->run.params + g->shard_begin, t->adam_m, t->adam_v, t->grads + g->shard_begin,
                       g->shard_begin, g->shard_len, t->table, &t->adam, st->lr, step1, scale);
  double ta = now();
  if (!rc) rc = grad_sync_allgather_params(g, t->run.params);
  t->phase[PHASE_ALLGATHER] = now() - ta;
  stepnet_params_changed(&t->run.net);  // bf16: the next forward rounds the new weights
  if (!rc && t->run.obj.use_learned) rc = train_schedule_update(&t->learned, &t->run.obj.schedule, &t->adam, st->lr, step1);
  if (rc) return rc;
  double decay = ema_decay(&t->ema_cfg, (long)t->step, (double)t->images_seen, (double)t->B);
  ema_update(t->run.ema, t->run.params, t->run.total, decay);
  return t->run.obj.use_adaptive ? update_adaptive(t) : VDMC_OK;
}

int trainer_step(Trainer *t, TrainStepStats *st) {
  const Config *c = &t->run.cs.values;
  memset(st, 0, sizeof *st);
  double prev_phase[PHASE_COUNT];
  memcpy(prev_phase, t->phase, sizeof prev_phase);
  memset(t->phase, 0, sizeof t->phase);

  double t0 = now();
  // A rank that cannot read its batch must not leave the others in the step's
  // collectives: it computes on zeros (valid labels), raises the data-error flag of
  // the metrics reduction, and all ranks then stop together without an update.
  int data_rc = reader_next(t->reader, t->x, t->labels_raw);
  if (!data_rc && t->comm.rank == t->test_data_error_rank && t->step == t->test_data_error_step)
    data_rc = vdmc_fail(VDMC_ERR_IO, "test hook: rank %d cannot read its batch of step %lld", t->comm.rank,
                        (long long)t->step + 1);
  char data_error[1024] = "";
  if (data_rc) {
    snprintf(data_error, sizeof data_error, "%s", vdmc_error_message());
    memset(t->x, 0, (size_t)t->b * t->D * sizeof(float));
    memset(t->labels_raw, 0, (size_t)t->b * sizeof(int32_t));
  }
  int rc;
  draw_noise(t);
  double t1 = now();
  t->phase[PHASE_DATA] = t1 - t0;

  // Forward and backward in micro-batches of the local batch; gradients accumulate.
  // Dropout masks are keyed by global example index, so the split changes nothing.
  // Buckets are launched only during the last pass, when gradients become final.
  double scale = 1.0 / ((double)t->B * (double)t->D);  // mean over the GLOBAL batch, per dim
  memset(t->dout, 0, (size_t)t->b * t->D * sizeof(float));
  memset(t->grads, 0, t->run.total * sizeof(float));
  if (t->run.obj.use_learned) memset(t->learned.grads, 0, t->run.obj.learned.table.total * sizeof(float));
  grad_sync_begin(&t->sync);
  for (int m0 = 0; m0 < t->b; m0 += t->mb) {
    int n = t->b - m0 < t->mb ? t->b - m0 : t->mb;
    size_t off = (size_t)m0 * t->D;
    DropoutKey drop = {.seed = (uint64_t)c->run.seed, .step = (uint64_t)t->step,
                       .first_example = (uint64_t)(t->first + m0), .site = 0, .p = (float)c->model.dropout};
    double ta = now();
    rc = stepnet_forward(&t->run.net, t->run.params, t->out + off, t->z + off, t->lambda_f + m0,
                      t->num_classes > 0 ? t->labels + m0 : NULL, n, &drop);
    if (rc) return rc;
    diffusion_loss(t->loss + m0, t->sqerr + m0, t->dout + off, t->out + off, t->z + off, t->eps + off,
                   t->lambda + m0, t->weight + m0, (size_t)n, t->D, t->run.obj.spec.pred, t->run.obj.spec.sigma_data, scale);
    double tb = now();
    int last = m0 + n >= t->b;
    t->run.net.grad_ready = last && t->sync.zero_stage == 0 ? trainer_on_grad_ready : NULL;
    TrainSchedule *ls = t->run.obj.use_learned ? &t->learned : NULL;
    if (ls) train_schedule_begin_micro(ls, n);
    rc = stepnet_backward(&t->run.net, t->run.params, t->grads, t->dout + off, ls ? ls->dz : NULL, ls ? ls->dlambda : NULL);
    if (rc) return rc;
    if (ls)
      train_schedule_accumulate(ls, &t->run.obj.weighting, t->x + off, t->eps + off, t->t + m0, t->lambda + m0,
                                t->loss + m0, t->sqerr + m0, n, scale, t->B);
    t->phase[PHASE_FORWARD] += tb - ta;
    t->phase[PHASE_BACKWARD] += now() - tb;
  }
  double t3 = now();
  if ((rc = grad_sync_finish(&t->sync))) return rc;
  double t4 = now();
  t->phase[PHASE_SYNC_WAIT] = t4 - t3;

  if (t->comm.rank == t->test_nan_rank && t->step >= t->test_nan_from && t->step < t->test_nan_until)
    t->loss[0] = NAN;  // test hook: a non-finite loss on this rank only
  double local[M_COUNT] = {0};
  int finite = 1;
  for (int i = 0; i < t->b; i++) {
    const double l = t->loss[i] / (double)t->D;
    local[M_LOSS] += l;
    local[M_LOSS_SQ] += l * l;
    if (!isfinite(t->loss[i])) finite = 0;
  }
  const float *shard = t->grads + t->sync.shard_begin;
  finite = finite && all_finite(shard, t->sync.shard_len);
  int schedule_finite = 1;  // the learned schedule's gradient: summed here, same on every rank
  if (t->run.obj.use_learned && (rc = train_schedule_reduce(&t->learned, t->comm.comm, &schedule_finite))) return rc;
  finite = finite && schedule_finite;
  // ZeRO-1: each rank holds one shard, so the norm's squares are summed over ranks;
  // otherwise every rank holds the full sum and only rank 0 contributes it.
  int own_norm = t->sync.zero_stage == 1 || t->comm.rank == 0;
  local[M_SQNORM] = own_norm ? clip_sum_squares(shard, t->sync.shard_len) : 0;
  local[M_NONFINITE] = finite ? 0 : 1;
  local[M_STOP] = signals_requested() ? 1 : 0;
  local[M_DATA_ERROR] = data_rc ? 1 : 0;
  for (int p = 0; p < PHASE_COUNT; p++) local[M_PHASE0 + p] = prev_phase[p];
  MetricStat m[M_COUNT];
  if ((rc = reduce_metrics(local, m, M_COUNT, t->comm.comm))) return rc;
  st->loss = m[M_LOSS].sum / (double)t->B;
  // spread of the per-example losses L_b / D over the global batch (sample std): what
  // the learned schedule's variance objective lowers (docs/training.md "Output")
  const double B = (double)t->B, var = (m[M_LOSS_SQ].sum - B * st->loss * st->loss) / (B - 1);
  st->loss_std = t->B > 1 ? sqrt(fmax(var, 0)) : 0;
  st->stop = m[M_STOP].max > 0;
  if (m[M_DATA_ERROR].max > 0) {  // nothing is updated; the step did not happen
    st->data_error = 1;
    memcpy(t->phase, prev_phase, sizeof prev_phase);
    return mpi_agree(t->comm.comm, data_rc ? vdmc_fail(data_rc, "%s", data_error) : VDMC_OK);
  }
  for (int p = 0; p < PHASE_COUNT; p++) st->phase[p] = m[M_PHASE0 + p];

  if (m[M_NONFINITE].max > 0 || !isfinite(m[M_SQNORM].sum)) {
    // All ranks saw the same flag: skip the update together (params, Adam, EMA, bins unchanged).
    st->skipped = 1;
    st->grad_norm = NAN;
    st->lr = lr_schedule_at(&t->lr, (long)t->step + 1, t->B);
    t->skipped_total++;
    t->consecutive_skips++;
  } else {
    if ((rc = apply_update(t, m[M_SQNORM].sum, st))) return rc;
    t->consecutive_skips = 0;
  }
  t->step++;
  t->images_seen += t->B;
  t->phase[PHASE_OPTIMIZER] = now() - t4 - t->phase[PHASE_ALLGATHER];
  trainer_power_ema_after_step(t);
  return VDMC_OK;
}
