// Sinusoidal and class embeddings: finite differences, PyTorch parity, accumulation.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "gradcheck.h"
#include "ops/embedding.h"

typedef struct {
  int B, E;
  double max_period;
  int *labels;
  float *x, *table, *out, *probe;
} EmbCtx;

static double sin_loss(void *p) {
  EmbCtx *c = p;
  sinusoidal_embedding_forward(c->out, c->x, c->B, c->E, c->max_period);
  return gradcheck_dot(c->out, c->probe, (size_t)c->B * c->E);
}

static double cls_loss(void *p) {
  EmbCtx *c = p;
  class_embedding_forward(c->out, c->labels, c->table, c->B, c->E);
  return gradcheck_dot(c->out, c->probe, (size_t)c->B * c->E);
}

static void test_gradcheck(void) {
  enum { B = 6, E = 16, K = 4 };
  float x[B], out[B * E], probe[B * E], table[(K + 1) * E];
  float dx[B] = {0}, dtable[(K + 1) * E] = {0};
  int labels[B] = {2, 4, 2, 0, 2, 4};  // repeats and the null row; class 1 and 3 unused
  EmbCtx c = {B, E, 10000.0, labels, x, table, out, probe};
  fill_uniform(x, B, 21, -3, 3);
  fill_uniform(probe, B * E, 22, -1, 1);
  fill_uniform(table, (K + 1) * E, 23, -1, 1);

  sinusoidal_embedding_backward(dx, probe, x, B, E, c.max_period);
  GradcheckTarget tx = {"sinusoidal.dx", x, dx, B};
  double w1 = gradcheck_run(sin_loss, &c, &tx, 1, 1e-3, 1e-3, 1e-5, B);

  class_embedding_backward(dtable, probe, labels, B, E);
  GradcheckTarget tt = {"class_embedding.dtable", table, dtable, (K + 1) * E};
  double w2 = gradcheck_run(cls_loss, &c, &tt, 1, 1e-2, 1e-4, 1e-6, (K + 1) * E);
  printf("embedding gradcheck: worst rel err sinusoidal %.3g, class %.3g\n", w1, w2);
  int untouched = 1;
  for (int e = 0; e < E; e++) untouched &= dtable[1 * E + e] == 0 && dtable[3 * E + e] == 0;
  CHECK(untouched, "unused classes get no gradient");
}

static void test_sinusoidal_parity(const Fixture *fx) {
  const int *d = fixture_ints(fx, "sin_dims", 2);
  const FixtureArray *mp = fixture_get(fx, "sin_max_period");
  if (!d || !mp || mp->dtype != 2) {
    CHECK(0, "embedding.fix: sin_dims / sin_max_period");
    return;
  }
  int B = d[0], E = d[1];
  double max_period = ((const double *)mp->data)[0];
  const float *x = fixture_floats(fx, "sin_x", B), *dout = fixture_floats(fx, "sin_dout", B * E);
  const float *rout = fixture_floats(fx, "sin_out", B * E), *rdx = fixture_floats(fx, "sin_dx", B);
  if (!x || !dout || !rout || !rdx) {
    CHECK(0, "embedding.fix: sinusoidal arrays");
    return;
  }
  float *out = malloc((size_t)B * E * sizeof(float)), *dx = calloc(B, sizeof(float));
  float *twice = malloc(B * sizeof(float));
  sinusoidal_embedding_forward(out, x, B, E, max_period);
  CHECK_ARRAYS(out, rout, (size_t)B * E, 1e-6, "sinusoidal out (cos half, then sin half)");
  sinusoidal_embedding_backward(dx, dout, x, B, E, max_period);
  CHECK_ARRAYS(dx, rdx, B, 1e-5, "sinusoidal dx");
  for (int b = 0; b < B; b++) twice[b] = 2 * rdx[b];
  sinusoidal_embedding_backward(dx, dout, x, B, E, max_period);
  CHECK_ARRAYS(dx, twice, B, 1e-5, "sinusoidal dx accumulates");
  free(out), free(dx), free(twice);
}

static void test_class_parity(const Fixture *fx) {
  const int *d = fixture_ints(fx, "cls_dims", 3);
  if (!d) {
    CHECK(0, "embedding.fix: cls_dims");
    return;
  }
  int B = d[0], E = d[1], K = d[2];
  size_t nt = (size_t)(K + 1) * E;
  const int *labels = fixture_ints(fx, "cls_labels", B);
  const float *table = fixture_floats(fx, "cls_table", nt);
  const float *dout = fixture_floats(fx, "cls_dout", (size_t)B * E);
  const float *rout = fixture_floats(fx, "cls_out", (size_t)B * E);
  const float *rdt = fixture_floats(fx, "cls_dtable", nt);
  if (!labels || !table || !dout || !rout || !rdt) {
    CHECK(0, "embedding.fix: class arrays");
    return;
  }
  float *out = malloc((size_t)B * E * sizeof(float)), *dt = calloc(nt, sizeof(float));
  class_embedding_forward(out, labels, table, B, E);
  CHECK(memcmp(out, rout, (size_t)B * E * sizeof(float)) == 0, "class embedding out is a copy");
  class_embedding_backward(dt, dout, labels, B, E);
  CHECK_ARRAYS(dt, rdt, nt, 1e-6, "class embedding dtable (scatter-add over repeated labels)");
  class_embedding_backward(NULL, dout, labels, B, E);  // NULL = skip
  free(out), free(dt);
}

int main(void) {
  test_gradcheck();
  Fixture fx;
  if (fixture_load(&fx, "embedding.fix") == 0) {
    test_sinusoidal_parity(&fx);
    test_class_parity(&fx);
    fixture_free(&fx);
  } else {
    CHECK(0, "fixture embedding.fix loads");
  }
  return check_finish("embedding");
}
