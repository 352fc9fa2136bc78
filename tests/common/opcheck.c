#include "opcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gradcheck.h"

int opcheck_alloc(OpCheck *op, unsigned seed) {
  op->out = calloc(op->out_n, sizeof(float));
  int ok = op->out != NULL;
  for (int i = 0; i < op->n_in; i++) {
    op->in[i] = malloc(op->in_n[i] * sizeof(float));
    if (!op->in[i]) ok = 0;
    else fill_uniform(op->in[i], op->in_n[i], seed + 17u * (unsigned)i, -1.0f, 1.0f);
  }
  CHECK(ok, "%s: allocation", op->name);
  return ok ? 0 : 1;
}

void opcheck_free(OpCheck *op) {
  free(op->out);
  op->out = NULL;
  for (int i = 0; i < op->n_in; i++) {
    free(op->in[i]);
    op->in[i] = NULL;
  }
}

int opcheck_load(OpCheck *op, const Fixture *fx) {
  for (int i = 0; i < op->n_in; i++) {
    const float *v = fixture_floats(fx, op->in_name[i], op->in_n[i]);
    CHECK(v != NULL, "%s: fixture input %s", op->name, op->in_name[i]);
    if (!v) return 1;
    memcpy(op->in[i], v, op->in_n[i] * sizeof(float));
  }
  return 0;
}

// n_in gradient buffers, zeroed.
static float **grads_alloc(const OpCheck *op) {
  float **g = calloc(OPCHECK_MAX_IN, sizeof *g);
  for (int i = 0; i < op->n_in; i++) g[i] = calloc(op->in_n[i], sizeof(float));
  return g;
}

static void grads_free(const OpCheck *op, float **g) {
  for (int i = 0; i < op->n_in; i++) free(g[i]);
  free(g);
}

void opcheck_parity(OpCheck *op, const Fixture *fx, double tol) {
  char what[256];
  const float *ref = fixture_floats(fx, "out", op->out_n);
  const float *dout = fixture_floats(fx, "dout", op->out_n);
  CHECK(ref && dout, "%s: fixture out/dout", op->name);
  if (!ref || !dout) return;
  op->forward(op->ctx, op->out, op->in);
  snprintf(what, sizeof what, "%s out", op->name);
  double worst = CHECK_ARRAYS(op->out, ref, op->out_n, tol, what);
  float **g = grads_alloc(op);
  op->backward(op->ctx, g, dout, op->in);
  for (int i = 0; i < op->n_in; i++) {
    char key[64];
    snprintf(key, sizeof key, "d%s", op->in_name[i]);
    const float *gref = fixture_floats(fx, key, op->in_n[i]);
    CHECK(gref != NULL, "%s: fixture %s", op->name, key);
    if (!gref) continue;
    snprintf(what, sizeof what, "%s %s", op->name, key);
    double e = CHECK_ARRAYS(g[i], gref, op->in_n[i], tol, what);
    if (e > worst) worst = e;
  }
  printf("%s: parity worst rel err %.2e (out and %d gradients)\n", op->name, worst, op->n_in);
  grads_free(op, g);
}

typedef struct {
  OpCheck *op;
  const float *probe;
} LossCtx;

static double probe_loss(void *p) {
  LossCtx *l = p;
  l->op->forward(l->op->ctx, l->op->out, l->op->in);
  return gradcheck_dot(l->op->out, l->probe, l->op->out_n);
}

void opcheck_gradcheck(OpCheck *op, double eps, double rtol, double atol, size_t max_points) {
  float *probe = malloc(op->out_n * sizeof(float));
  fill_uniform(probe, op->out_n, 991u, -1.0f, 1.0f);
  float **g = grads_alloc(op);
  op->forward(op->ctx, op->out, op->in);
  op->backward(op->ctx, g, probe, op->in);
  GradcheckTarget t[OPCHECK_MAX_IN];
  char names[OPCHECK_MAX_IN][128];
  for (int i = 0; i < op->n_in; i++) {
    snprintf(names[i], sizeof names[i], "%s.%s", op->name, op->in_name[i]);
    t[i] = (GradcheckTarget){names[i], op->in[i], g[i], op->in_n[i]};
  }
  LossCtx l = {op, probe};
  double worst = gradcheck_run(probe_loss, &l, t, op->n_in, eps, rtol, atol, max_points);
  printf("%s: gradcheck worst rel err %.2e\n", op->name, worst);
  grads_free(op, g);
  free(probe);
}

void opcheck_accumulate(OpCheck *op) {
  char what[256];
  float *dout = malloc(op->out_n * sizeof(float));
  fill_uniform(dout, op->out_n, 4242u, -1.0f, 1.0f);
  op->forward(op->ctx, op->out, op->in);
  float **once = grads_alloc(op), **twice = grads_alloc(op), **expect = grads_alloc(op);
  op->backward(op->ctx, once, dout, op->in);
  op->backward(op->ctx, twice, dout, op->in);
  op->backward(op->ctx, twice, dout, op->in);
  for (int i = 0; i < op->n_in; i++) {
    for (size_t k = 0; k < op->in_n[i]; k++) expect[i][k] = 2.0f * once[i][k];
    snprintf(what, sizeof what, "%s d%s accumulates (twice = 2x once)", op->name, op->in_name[i]);
    CHECK_ARRAYS(twice[i], expect[i], op->in_n[i], 1e-6, what);
  }
  // Skip gradient `skip`; the others start from a non-zero value h and must end at h + once.
  for (int skip = 0; skip < op->n_in; skip++) {
    float *g[OPCHECK_MAX_IN] = {0};
    for (int i = 0; i < op->n_in; i++) {
      if (i == skip) continue;
      g[i] = twice[i];
      fill_uniform(g[i], op->in_n[i], 77u + (unsigned)i, -1.0f, 1.0f);
      for (size_t k = 0; k < op->in_n[i]; k++) expect[i][k] = g[i][k] + once[i][k];
    }
    op->backward(op->ctx, g, dout, op->in);
    for (int i = 0; i < op->n_in; i++) {
      if (i == skip) continue;
      snprintf(what, sizeof what, "%s d%s += with d%s NULL", op->name, op->in_name[i],
               op->in_name[skip]);
      CHECK_ARRAYS(g[i], expect[i], op->in_n[i], 1e-6, what);
    }
  }
  grads_free(op, once);
  grads_free(op, twice);
  grads_free(op, expect);
  free(dout);
}
