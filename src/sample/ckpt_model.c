#include "sample/ckpt_model.h"

#include <stdlib.h>
#include <string.h>

#include "core/finite.h"
#include "core/status.h"

// A run that diverged can checkpoint NaN weights; sampling or evaluating them gives
// NaN images or `total nan` with exit 0, so they are refused naming the tensor.
static int check_weights_finite(const Run *r) {
  const ParamTable *t = &r->net.params.table;
  size_t bad = finite_first_bad_float(r->ema, t->total);
  if (bad == t->total) return VDMC_OK;
  const char *tensor = "alignment padding";
  for (size_t i = 0; i < t->count; i++)
    if (bad >= t->items[i].offset && bad < t->items[i].offset + t->items[i].numel) tensor = t->items[i].name;
  return vdmc_fail(VDMC_ERR_NUMERIC, "checkpoint %s: EMA weight %zu (%s) is %g: the run diverged before this "
                   "checkpoint; use an earlier one", r->file, bad, tensor, (double)r->ema[bad]);
}

int ckpt_model_load(CkptModel *m, const char *path, int max_batch, MPI_Comm comm) {
  memset(m, 0, sizeof *m);
  int rc = run_from_checkpoint(&m->run, path, max_batch, RUN_LOAD_EMA, comm);
  if (rc || (rc = check_weights_finite(&m->run))) return rc;
  if (!(m->lambda_f = malloc((size_t)max_batch * sizeof(float))))
    return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the model of %s", m->run.file);
  return VDMC_OK;
}

void ckpt_model_free(CkptModel *m) {
  run_free(&m->run);
  free(m->lambda_f);
  m->lambda_f = NULL;
}

Denoiser ckpt_model_denoiser(CkptModel *m) {
  m->den = (NetDenoiser){&m->run.net, m->run.ema, m->lambda_f};
  return net_denoiser(&m->den, m->run.obj.spec.pred, m->run.obj.spec.sigma_data);
}
