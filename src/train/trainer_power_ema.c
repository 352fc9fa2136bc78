#include "train/trainer_power_ema.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "train/ema_snapshot.h"

int trainer_power_ema_init(Trainer *t) {
  const ConfigFloatList *stds = &t->run.cs.values.optim.ema_stds;
  char what[CONFIG_WHERE_LEN + 32];
  snprintf(what, sizeof what, "%s: optim.ema_stds", config_where(&t->run.cs, "optim.ema_stds"));
  int rc = ema_power_set_init(&t->power_ema, stds->v, stds->n, t->run.total, what);
  if (!rc) ema_power_set_reset(&t->power_ema, t->run.params);
  return rc;
}

void trainer_power_ema_describe(Trainer *t, CheckpointState *st, size_t off, size_t cnt) {
  EmaPowerSet *p = &t->power_ema;
  if (p->n == 0) return;
  for (int k = 0; k < p->n; k++) {
    char name[CHECKPOINT_NAME_LEN];
    ema_snapshot_array_name(k, name);
    checkpoint_add_array(st, name, p->ema[k] + off, off, cnt);
    t->power_ema_stds_io[k] = p->std[k];
  }
  checkpoint_add_extra(st, EMA_POWER_STDS_EXTRA, t->power_ema_stds_io, (size_t)p->n);
}

int trainer_power_ema_check_loaded(const Trainer *t, const char *path) {
  for (int k = 0; k < t->power_ema.n; k++)
    if (t->power_ema_stds_io[k] != t->power_ema.std[k])
      return vdmc_fail(VDMC_ERR_INPUT, "%s tracks power-function EMA profile %d with relative std %.17g but %s "
                       "says %.17g: the tracked profiles cannot change in the middle of a run", path, k,
                       t->power_ema_stds_io[k], config_where(&t->run.cs, "optim.ema_stds"), t->power_ema.std[k]);
  return VDMC_OK;
}

static int write_snapshot(Trainer *t) {
  double t0 = MPI_Wtime();
  if (t->reader) reader_quiesce(t->reader);  // HDF5 is single-threaded: park the prefetcher
  CheckpointState st;
  size_t off, cnt;
  checkpoint_state_init(&st, t->table);
  checkpoint_partition(t->table->total, t->comm.rank, t->comm.size, &off, &cnt);
  trainer_power_ema_describe(t, &st, off, cnt);
  st.step = t->step;
  st.images_seen = t->images_seen;
  st.seed = (uint64_t)t->run.cs.values.run.seed;
  char *text = trainer_config_text(&t->run.cs);
  if (!text) return vdmc_fail(VDMC_ERR_MEMORY, "cannot format the config for the EMA snapshot");
  st.config_text = text;
  int rc = ema_snapshot_write(t->run_dir, &st, t->comm.comm);
  free(text);
  t->phase[PHASE_CHECKPOINT] += MPI_Wtime() - t0;
  return rc;
}

void trainer_power_ema_after_step(Trainer *t) {
  if (t->power_ema.n == 0) return;
  double t0 = MPI_Wtime();
  ema_power_set_update(&t->power_ema, t->run.params, (double)t->images_seen, (double)t->B);
  t->phase[PHASE_OPTIMIZER] += MPI_Wtime() - t0;
}

int trainer_power_ema_snapshot(Trainer *t, int last) {
  if (t->power_ema.n == 0) return VDMC_OK;
  // the last step too: `vdmc ema` reconstructs at the newest snapshot and writes it
  // into the latest checkpoint, so the two should be the same step
  int due = last || trainer_crossed_images(t, t->run.cs.values.run.ema_snapshot_images);
  return due ? write_snapshot(t) : VDMC_OK;
}
