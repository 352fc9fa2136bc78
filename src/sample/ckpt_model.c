// Rebuilds the model of a run (U-Net or U-ViT, model.arch) from its checkpoint: config text first (rank 0 reads it
// serially and broadcasts it), then the U-Net and objective, then the EMA weights and
// adaptive bins or learned-schedule parameters through the collective checkpoint_load.
#include "sample/ckpt_model.h"

#include <stdlib.h>
#include <string.h>

#include "core/finite.h"
#include "core/status.h"
#include "diffusion/objective_config.h"
#include "io/checkpoint.h"
#include "models/model_from_config.h"
#include "mpi/agree.h"
#include "mpi/comm.h"

// Everything every rank builds identically from the config text.
static int build_from_config(CkptModel *m, const char *text, int max_batch) {
  char name[4200];
  snprintf(name, sizeof name, "config of %s", m->file);
  int rc = config_init_defaults(&m->cs);
  if (!rc) rc = config_load_text(&m->cs, text, name);
  if (!rc) rc = config_validate(&m->cs);
  if (rc) return rc;
  const Config *c = &m->cs.values;
  if ((rc = diffusion_spec_from_config(&m->spec, &m->cs))) return rc;
  if ((rc = diffusion_spec_build(&m->spec, &m->schedule, &m->weighting))) return rc;
  if (m->spec.schedule == SCHEDULE_LEARNED) {
    rc = learned_create(&m->learned, &m->learned_table, &m->learned_params, m->schedule.lambda_min,
                        m->schedule.lambda_max);
    if (!rc && !(m->learned_packed = calloc(3 * m->learned_table.total, sizeof(double))))
      rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the learned schedule of %s", m->file);
    if (rc) return rc;
    m->schedule.learned = &m->learned;
  }
  if (m->spec.schedule == SCHEDULE_ADAPTIVE) {
    if ((rc = adaptive_init(&m->adaptive, m->schedule.lambda_min, m->schedule.lambda_max))) return rc;
    m->adaptive.decay = c->diffusion.adaptive_decay;
    m->schedule.adaptive = &m->adaptive;
  }
  if ((rc = model_create_from_config(&m->net, &m->cs, max_batch))) return rc;
  m->ema = vdmc_alloc_floats(stepnet_param_floats(&m->net));
  m->lambda_f = malloc((size_t)max_batch * sizeof(float));
  if (!m->ema || !m->lambda_f) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the model of %s", m->file);
  return VDMC_OK;
}

// A run that diverged can checkpoint NaN weights; sampling or evaluating them gives
// NaN images or `total nan` with exit 0, so they are refused naming the tensor.
static int check_weights_finite(const CkptModel *m) {
  const ParamTable *t = &m->net.params.table;
  size_t bad = finite_first_bad_float(m->ema, t->total);
  if (bad == t->total) return VDMC_OK;
  const char *tensor = "alignment padding";
  for (size_t i = 0; i < t->count; i++)
    if (bad >= t->items[i].offset && bad < t->items[i].offset + t->items[i].numel) tensor = t->items[i].name;
  return vdmc_fail(VDMC_ERR_NUMERIC, "checkpoint %s: EMA weight %zu (%s) is %g: the run diverged before this "
                   "checkpoint; use an earlier one", m->file, bad, tensor, (double)m->ema[bad]);
}

int ckpt_model_load(CkptModel *m, const char *path, int max_batch, MPI_Comm comm) {
  memset(m, 0, sizeof *m);
  int rank;
  MPI_TRY(MPI_Comm_rank(comm, &rank));
  char *text = NULL;
  // the newest checkpoint `path` names and its config text (m->file is CKPT_PATH_LEN)
  int rc = rank == 0 ? checkpoint_peek(path, &text, NULL, NULL, NULL, m->file) : VDMC_OK;
  if ((rc = mpi_agree(comm, rc))) return rc;
  long long len = rank == 0 ? (long long)strlen(text) : 0;
  rc = MPI_STATUS(MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, comm), "%s: MPI_Bcast of the config length", path);
  if (!rc) rc = MPI_STATUS(MPI_Bcast(m->file, sizeof m->file, MPI_CHAR, 0, comm), "%s: MPI_Bcast of the file name", path);
  if (!rc && rank != 0 && !(text = calloc((size_t)len + 1, 1)))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the config of %s", m->file);
  if (!rc) rc = MPI_STATUS(MPI_Bcast(text, (int)len, MPI_CHAR, 0, comm), "%s: MPI_Bcast of the config", m->file);
  if (!rc) rc = build_from_config(m, text, max_batch);
  free(text);
  if (rc) return rc;

  CheckpointState st;
  checkpoint_state_init(&st, &m->net.params.table);
  size_t total = m->net.params.table.total;
  rc = checkpoint_add_array(&st, "ema", m->ema, 0, total);
  if (!rc && m->schedule.adaptive) rc = checkpoint_add_extra(&st, "adaptive_bins", m->adaptive.value, ADAPTIVE_BINS);
  if (!rc && m->schedule.learned)
    rc = checkpoint_add_extra(&st, LEARNED_CHECKPOINT_EXTRA, m->learned_packed, 3 * m->learned_table.total);
  if (!rc) rc = checkpoint_load(m->file, comm, &st);
  free(st.config_text);
  if (rc || (rc = check_weights_finite(m))) return rc;
  m->step = st.step;
  for (size_t i = 0; m->schedule.learned && i < m->learned_table.total; i++)
    m->learned_params[i] = (float)m->learned_packed[i];
  if (m->schedule.adaptive && (rc = adaptive_refresh(&m->adaptive))) return rc;
  return schedule_prepare(&m->schedule);
}

void ckpt_model_free(CkptModel *m) {
  if (m->net.steps) stepnet_free(&m->net);
  vdmc_free_floats(m->ema);
  free(m->lambda_f);
  if (m->learned_params) param_table_free(&m->learned_table);
  vdmc_free_floats(m->learned_params);
  free(m->learned_packed);
  m->learned_params = NULL;
  m->learned_packed = NULL;
  m->ema = NULL;
  m->lambda_f = NULL;
}

Denoiser ckpt_model_denoiser(CkptModel *m) {
  m->den = (NetDenoiser){&m->net, m->ema, m->lambda_f};
  return net_denoiser(&m->den, m->spec.pred, m->spec.sigma_data);
}
