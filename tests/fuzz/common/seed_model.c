#include "seed_model.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint_internal.h"  // CKPT_PATH_LEN

int seed_model_init(SeedModel *m) {
  memset(m, 0, sizeof *m);
  param_table_init(&m->table);
  const size_t conv[4] = {2, 1, 3, 3}, bias[1] = {2};
  int status = param_table_add(&m->table, "in.conv.weight", 4, conv, 1, NULL);
  if (!status) status = param_table_add(&m->table, "in.conv.bias", 1, bias, 0, NULL);
  if (!status && (!(m->params = vdmc_alloc_floats(m->table.total)) || !(m->ema = vdmc_alloc_floats(m->table.total))))
    status = VDMC_ERR_MEMORY;
  if (status) {
    seed_model_free(m);
    return status;
  }
  for (size_t i = 0; i < m->table.total; i++) {
    m->params[i] = (float)i / 8.0f;
    m->ema[i] = -(float)i / 16.0f;
  }
  for (int b = 0; b < SEED_MODEL_BINS; b++) m->bins[b] = 1.0 + b;
  return VDMC_OK;
}

void seed_model_free(SeedModel *m) {
  vdmc_free_floats(m->params);
  vdmc_free_floats(m->ema);
  param_table_free(&m->table);
  m->params = m->ema = NULL;
}

void seed_model_state(SeedModel *m, CheckpointState *st) {
  checkpoint_state_init(st, &m->table);
  checkpoint_add_array(st, "params", m->params, 0, m->table.total);
  checkpoint_add_array(st, "ema", m->ema, 0, m->table.total);
  checkpoint_add_extra(st, SEED_MODEL_EXTRA, m->bins, SEED_MODEL_BINS);
}

void seed_model_read_checkpoint(SeedModel *m, const char *path) {
  CheckpointState st;
  seed_model_state(m, &st);
  if (checkpoint_load(path, MPI_COMM_SELF, &st) == 0) free(st.config_text);
  char *config = NULL, resolved[CKPT_PATH_LEN];
  double *bins = NULL;
  size_t nbins = 0;
  checkpoint_peek(path, &config, SEED_MODEL_EXTRA, &bins, &nbins, resolved);
  free(config);
  free(bins);
}
