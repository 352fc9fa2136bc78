#include "run/objective.h"

#include <string.h>

#include "core/status.h"
#include "diffusion/objective_config.h"

int objective_build(Objective *o, const DiffusionSpec *spec, double adaptive_decay) {
  memset(o, 0, sizeof *o);
  o->spec = *spec;
  int rc = diffusion_spec_build(&o->spec, &o->schedule, &o->weighting);
  if (rc) return rc;
  o->use_learned = o->schedule.kind == SCHEDULE_LEARNED;
  if (o->use_learned) {
    if ((rc = learned_state_create(&o->learned, o->schedule.lambda_min, o->schedule.lambda_max))) return rc;
    o->schedule.learned = &o->learned.ls;
  }
  o->use_adaptive = o->schedule.kind == SCHEDULE_ADAPTIVE;
  if (o->use_adaptive) {
    if ((rc = adaptive_init(&o->adaptive, o->schedule.lambda_min, o->schedule.lambda_max))) return rc;
    o->adaptive.decay = adaptive_decay;
    o->schedule.adaptive = &o->adaptive;
  }
  return schedule_prepare(&o->schedule);
}

int objective_from_config(Objective *o, const ConfigSet *cs) {
  DiffusionSpec spec;
  int rc = diffusion_spec_from_config(&spec, cs);
  if (rc) {
    memset(o, 0, sizeof *o);
    return rc;
  }
  return objective_build(o, &spec, cs->values.diffusion.adaptive_decay);
}

void objective_free(Objective *o) {
  if (o->use_learned) learned_state_free(&o->learned);
  memset(o, 0, sizeof *o);
}

int objective_add_extras(Objective *o, CheckpointState *st) {
  int rc = VDMC_OK;
  if (o->use_adaptive) rc = checkpoint_add_extra(st, OBJECTIVE_ADAPTIVE_EXTRA, o->adaptive.value, ADAPTIVE_BINS);
  if (!rc && o->use_learned) {
    learned_state_pack(&o->learned);
    rc = checkpoint_add_extra(st, LEARNED_CHECKPOINT_EXTRA, o->learned.packed, 3 * o->learned.table.total);
  }
  return rc;
}

int objective_extras_loaded(Objective *o) {
  int rc = VDMC_OK;
  if (o->use_adaptive && (rc = adaptive_refresh(&o->adaptive))) return rc;
  if (o->use_learned) learned_state_unpack(&o->learned);
  return o->use_adaptive || o->use_learned ? schedule_prepare(&o->schedule) : VDMC_OK;
}

int objective_take_extra(Objective *o, const char *name, const double *values, size_t n, const char *file) {
  double *dst = NULL;
  size_t want = 0;
  if (o->use_adaptive && !strcmp(name, OBJECTIVE_ADAPTIVE_EXTRA)) dst = o->adaptive.value, want = ADAPTIVE_BINS;
  if (o->use_learned && !strcmp(name, LEARNED_CHECKPOINT_EXTRA))
    dst = o->learned.packed, want = 3 * o->learned.table.total;
  if (!dst) return VDMC_OK;
  if (n != want) return vdmc_fail(VDMC_ERR_INPUT, "%s: extra %s has %zu values, expected %zu", file, name, n, want);
  memcpy(dst, values, n * sizeof *dst);
  return VDMC_OK;
}
