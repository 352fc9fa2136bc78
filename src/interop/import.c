// Import: the file is matched against the model's parameter table before any run
// directory is touched (first mismatching, missing or extra tensor named), converted
// to vdmc's layouts, then a fresh Trainer (RESUME_NONE) takes the weights as params and
// EMA and commits its step-0 checkpoint through trainer_save.
#include "interop/import.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/model_from_config.h"
#include "models/torch_layout.h"
#include "mpi/agree.h"
#include "train/trainer.h"

static void shape_text(char *buf, size_t cap, const size_t *shape, int ndim) {
  size_t used = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < ndim && used < cap; i++) used += (size_t)snprintf(buf + used, cap - used, "%s%zu", i ? ", " : "", shape[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

// Every table tensor is in the file with its PyTorch shape, and nothing else is.
static int match_table(const SafetensorsFile *sf, const ParamTable *table) {
  for (size_t i = 0; i < table->count; i++) {
    const ParamInfo *p = &table->items[i];
    const SafetensorsTensor *t = safetensors_find(sf, p->name);
    if (!t)
      return vdmc_fail(VDMC_ERR_INPUT, "%s: tensor '%s' of the config's model is missing from the file (wrong config "
                       "for these weights?)", sf->path, p->name);
    size_t want[PARAM_MAX_DIMS];
    int nd = torch_layout_shape(p, want);
    if (t->ndim != nd || memcmp(t->shape, want, (size_t)nd * sizeof *want)) {
      char have_s[128], want_s[128];
      shape_text(have_s, sizeof have_s, t->shape, t->ndim);
      shape_text(want_s, sizeof want_s, want, nd);
      return vdmc_fail(VDMC_ERR_INPUT, "%s: tensor '%s' is %s in the file but %s in the config's model (PyTorch "
                       "layout)", sf->path, p->name, have_s, want_s);
    }
  }
  for (size_t i = 0; i < sf->count; i++)
    if (!param_table_find(table, sf->tensors[i].name))
      return vdmc_fail(VDMC_ERR_INPUT, "%s: tensor '%s' is not in the config's model (wrong config for these "
                       "weights?)", sf->path, sf->tensors[i].name);
  return VDMC_OK;
}

// The file's weights in vdmc's layout into weights (table.total floats, padding zero).
static int read_weights(const char *path, const ConfigSet *cs, float **weights, size_t *total) {
  SafetensorsFile sf;
  StepNet net;
  memset(&net, 0, sizeof net);
  float *buf = NULL;
  int rc = safetensors_open(&sf, path);
  if (rc) return rc;
  if (!(rc = model_create_from_config(&net, cs, 1))) rc = match_table(&sf, &net.params.table);
  const ParamTable *table = &net.params.table;
  if (!rc && (!(*weights = vdmc_alloc_floats(table->total)) || !(buf = vdmc_alloc_floats(table->total))))
    rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the weights of %s", path);
  for (size_t i = 0; !rc && i < table->count; i++) {
    const ParamInfo *p = &table->items[i];
    if (!(rc = safetensors_read_f32(&sf, safetensors_find(&sf, p->name), buf)))
      torch_layout_to_vdmc(p, *weights + p->offset, buf);
  }
  if (!rc) *total = table->total;
  vdmc_free_floats(buf);
  if (net.steps) stepnet_free(&net);
  safetensors_close(&sf);
  return rc;
}

int import_safetensors(const char *path, const ConfigSet *cs, const VdmcComm *comm, const char *run_dir) {
  float *weights = NULL;
  size_t total = 0;
  Trainer *t = NULL;
  int have = 0, rc = comm->rank == 0 ? checkpoint_run_exists(run_dir, &have) : VDMC_OK;
  if (!rc && have)  // the trainer would say so too, but in terms of --resume, which import has not
    rc = vdmc_fail(VDMC_ERR_INPUT, "%s already has checkpoints: import starts a new run; choose another --run "
                   "directory", run_dir);
  if (!(rc = mpi_agree(comm->comm, rc))) rc = mpi_agree(comm->comm, read_weights(path, cs, &weights, &total));
  if (!rc && !(t = calloc(1, sizeof *t))) rc = vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  rc = mpi_agree(comm->comm, rc);
  int created = 0;
  if (!rc && !(rc = trainer_create(t, cs, comm, run_dir, RESUME_NONE, NULL))) {
    created = 1;
    if (t->table->total != total)  // the same config built the same table twice
      rc = vdmc_fail(VDMC_ERR_INTERNAL, "import: the trainer's table has %zu floats, the import's %zu", t->table->total,
                     total);
    if (!rc) {
      memcpy(t->run.params, weights, total * sizeof *weights);
      memcpy(t->run.ema, weights, total * sizeof *weights);
      rc = trainer_save(t);  // step 0, Adam moments as created: zero
    }
  }
  if (created) trainer_free(t);  // a failed trainer_create is not freed (as vdmc train does)
  free(t);
  vdmc_free_floats(weights);
  return rc;
}
