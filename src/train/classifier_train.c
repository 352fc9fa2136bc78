// Classifier training step (classifier_train.h).
#include "train/classifier_train.h"

#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "mpi/comm.h"

int classifier_opt_init(ClassifierOpt *o, const Classifier *m, double lr) {
  memset(o, 0, sizeof *o);
  size_t n = classifier_param_floats(m);
  o->grads = vdmc_alloc_floats(n);
  o->m = vdmc_alloc_floats(n);
  o->v = vdmc_alloc_floats(n);
  adam_config_default(&o->adam);
  o->lr = lr;
  if (!o->grads || !o->m || !o->v) {
    classifier_opt_free(o);
    return VDMC_ERR_MEMORY;
  }
  return VDMC_OK;
}

void classifier_opt_free(ClassifierOpt *o) {
  vdmc_free_floats(o->grads);
  vdmc_free_floats(o->m);
  vdmc_free_floats(o->v);
  memset(o, 0, sizeof *o);
}

int classifier_train_step(Classifier *m, float *params, ClassifierOpt *o, const float *x,
                          const int32_t *labels, int b, int B, MPI_Comm comm, double *loss,
                          int *correct) {
  size_t n = classifier_param_floats(m);
  memset(o->grads, 0, n * sizeof(float));
  int st = VDMC_OK, hits = 0;
  double l = 0;
  if (b > 0) {
    if ((st = classifier_forward(m, params, x, b))) return st;
    l = classifier_xent(m->logits, labels, b, m->cfg.K, 1.0 / B, m->dlogits, &hits);
    classifier_backward(m, params, o->grads, m->dlogits, NULL);
  }
  if (comm != MPI_COMM_NULL && n > 0)
    MPI_TRY(MPI_Allreduce(MPI_IN_PLACE, o->grads, (int)n, MPI_FLOAT, MPI_SUM, comm));
  o->step++;
  st = adam_step_slice(params, o->m, o->v, o->grads, 0, n, &m->params.table, &o->adam, o->lr, o->step, 1.0f);
  if (loss) *loss = l;
  if (correct) *correct = hits;
  return st;
}
