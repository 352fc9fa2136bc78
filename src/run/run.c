#include "run/run.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "models/model_from_config.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

int run_from_config(Run *r, const ConfigSet *cs, int max_batch) {
  memset(r, 0, sizeof *r);
  r->cs = *cs;
  int rc = objective_from_config(&r->obj, &r->cs);
  return rc ? rc : model_create_from_config(&r->net, &r->cs, max_batch);
}

int run_alloc_weights(Run *r, size_t total) {
  r->total = total ? total : r->net.params.table.total;
  r->params = vdmc_alloc_floats(r->total);
  r->ema = vdmc_alloc_floats(r->total);
  if (!r->params || !r->ema) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the model's weights");
  return VDMC_OK;
}

// Everything every rank builds identically from the checkpoint's config text.
static int build_from_text(Run *r, int max_batch, int load) {
  char name[4200];
  snprintf(name, sizeof name, "config of %s", r->file);
  int rc = config_init_defaults(&r->cs);
  if (!rc) rc = config_load_text(&r->cs, r->config_text, name);
  if (!rc) rc = config_validate(&r->cs);
  if (!rc) rc = objective_from_config(&r->obj, &r->cs);
  if (!rc) rc = model_create_from_config(&r->net, &r->cs, max_batch);
  if (rc) return rc;
  r->total = r->net.params.table.total;
  r->ema = vdmc_alloc_floats(r->total);
  if (load == RUN_LOAD_PARAMS_TOO) r->params = vdmc_alloc_floats(r->total);
  if (!r->ema || (load == RUN_LOAD_PARAMS_TOO && !r->params))
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the model of %s", r->file);
  return VDMC_OK;
}

int run_from_checkpoint(Run *r, const char *path, int max_batch, int load, MPI_Comm comm) {
  memset(r, 0, sizeof *r);
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  // the newest checkpoint `path` names and its config text (r->file is CKPT_PATH_LEN)
  int rc = rank == 0 ? checkpoint_peek(path, &r->config_text, NULL, NULL, NULL, r->file) : VDMC_OK;
  if ((rc = mpi_agree(comm, rc))) return rc;
  long long len = rank == 0 ? (long long)strlen(r->config_text) : 0;
  rc = MPI_STATUS(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, comm), "%s: MPI_Bcast of the config length", path);
  if (!rc) rc = MPI_STATUS(MPI_Bcast(r->file, sizeof r->file, MPI_CHAR, 0, comm), "%s: MPI_Bcast of the file name", path);
  if (!rc && rank != 0 && !(r->config_text = calloc((size_t)len + 1, 1)))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the config of %s", r->file);
  if (!rc) rc = MPI_STATUS(MPI_Bcast(r->config_text, (int)len, MPI_CHAR, 0, comm), "%s: MPI_Bcast of the config", r->file);
  if (!rc) rc = build_from_text(r, max_batch, load);
  if (rc) return rc;

  CheckpointState st;
  checkpoint_state_init(&st, &r->net.params.table);
  if (load == RUN_LOAD_PARAMS_TOO) rc = checkpoint_add_array(&st, "params", r->params, 0, r->total);
  if (!rc) rc = checkpoint_add_array(&st, "ema", r->ema, 0, r->total);
  if (!rc) rc = run_add_extras(r, &st);
  if (!rc) rc = checkpoint_load(r->file, comm, &st);
  free(st.config_text);
  if (rc) return rc;
  r->step = st.step;
  return objective_extras_loaded(&r->obj);
}

int run_add_extras(Run *r, CheckpointState *st) { return objective_add_extras(&r->obj, st); }

void run_free(Run *r) {
  objective_free(&r->obj);
  if (r->net.steps) stepnet_free(&r->net);
  vdmc_free_floats(r->params);
  vdmc_free_floats(r->ema);
  free(r->config_text);
  memset(r, 0, sizeof *r);
}
