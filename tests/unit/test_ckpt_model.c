// A run's model rebuilt from its checkpoint (src/sample/ckpt_model.h): the config,
// EMA weights and adaptive bins come back; the U-Net denoiser's samples do not depend
// on the batch split; missing checkpoints fail with a message.
// `test_ckpt_model write RUN_DIR [cond|uncond]` writes the tiny run for tests/cli/sample.sh
// and eval.sh, with data.test = RUN_DIR/test.h5: 20 random 8x8x1 examples, 3 classes.
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/status.h"
#include "io/dataset_write.h"
#include "sample/ckpt_model.h"
#include "tiny_run.h"

// A U-ViT run loads through the same path and samples.
static void check_uvit(const char *dir) {
  TinyRun t = tiny_run_defaults();
  t.arch = "uvit";
  CHECK(tiny_run_write(dir, &t, MPI_COMM_WORLD) == VDMC_OK, "write uvit: %s", vdmc_error_message());
  CkptModel m;
  int rc = ckpt_model_load(&m, dir, 4, MPI_COMM_WORLD);
  CHECK(rc == VDMC_OK, "load uvit: %s", vdmc_error_message());
  if (rc) return;
  CHECK(!strcmp(m.run.cs.values.model.arch, "uvit"), "arch %s", m.run.cs.values.model.arch);
  Denoiser d = ckpt_model_denoiser(&m);
  SamplerOptions o;
  sampler_defaults(&o, SAMPLER_EDM, -20, 20);
  o.steps = 3;
  o.guidance = 2;
  int labels[2] = {0, 2};
  float x[2 * 64];
  CHECK(sampler_run(&o, &d, x, labels, 0, 2) == VDMC_OK, "uvit guided sampling: %s", vdmc_error_message());
  int finite = 1;
  for (int i = 0; i < 2 * 64; i++) finite &= isfinite(x[i]);
  CHECK(finite && memcmp(x, x + 64, 64 * sizeof(float)), "uvit samples finite and distinct");
  ckpt_model_free(&m);
}

static void check_load(const char *dir) {
  TinyRun t = tiny_run_defaults();
  t.param = "v";
  CHECK(tiny_run_write(dir, &t, MPI_COMM_WORLD) == VDMC_OK, "write: %s", vdmc_error_message());
  CkptModel m;
  int rc = ckpt_model_load(&m, dir, 4, MPI_COMM_WORLD);
  CHECK(rc == VDMC_OK, "load: %s", vdmc_error_message());
  if (rc) return;
  CHECK(m.run.step == 1234, "step %lld", (long long)m.run.step);
  CHECK(strstr(m.run.file, "step-00001234.h5") != NULL, "file %s", m.run.file);
  CHECK(m.run.obj.spec.pred == PRED_V && m.run.net.cfg.num_classes == 3 && m.run.net.cfg.resolution == 8, "model config");
  size_t n = m.run.net.params.table.total;
  float *want = malloc(n * sizeof(float));
  fill_uniform(want, n, 101, -0.1f, 0.1f);  // the "ema" array of tiny_run_write
  CHECK(!memcmp(want, m.run.ema, n * sizeof(float)), "ema weights loaded");
  free(want);
  CHECK(m.run.obj.schedule.kind == SCHEDULE_ADAPTIVE && m.run.obj.adaptive.value[3] == 0.2 + 3 * 0.3, "adaptive bins loaded");
  CHECK(fabs(schedule_lambda(&m.run.obj.schedule, 0) - 20) < 1e-9 && fabs(schedule_lambda(&m.run.obj.schedule, 1) + 20) < 1e-9,
        "schedule endpoints");

  // samples of 4 in one batch equal 2 + 1 + 1
  Denoiser d = ckpt_model_denoiser(&m);
  for (int k = 0; k < SAMPLER_KIND_COUNT; k++) {
    SamplerOptions o;
    sampler_defaults(&o, (SamplerKind)k, -20, 20);
    o.steps = 3;
    o.seed = 3;
    o.guidance = 0;
    int labels[4] = {0, 2, 1, 3};  // 3 = null class: an unconditional sample
    float a[4 * 64], b[4 * 64];
    rc = sampler_run(&o, &d, a, labels, 0, 4);
    rc |= sampler_run(&o, &d, b, labels, 0, 2);
    rc |= sampler_run(&o, &d, b + 2 * 64, labels + 2, 2, 1);
    rc |= sampler_run(&o, &d, b + 3 * 64, labels + 3, 3, 1);
    CHECK(rc == VDMC_OK, "unet sampling: %s", vdmc_error_message());
    double err = 0, mag = 0;
    for (int i = 0; i < 4 * 64; i++) err = fmax(err, fabs(a[i] - b[i])), mag = fmax(mag, fabs(a[i]));
    printf("%s: batch 4 vs 2+1+1 max diff %.3g (max |x| %.3g)\n", sampler_kind_name((SamplerKind)k), err, mag);
    CHECK(err <= 1e-5 * mag, "%s: U-Net samples depend on the batch split by %g", sampler_kind_name((SamplerKind)k),
          err);
    CHECK(memcmp(a, a + 64, 64 * sizeof(float)) != 0, "different samples differ");
    o.guidance = 1;  // guided needs 2B inputs: 4 -> 8 > max_batch
    CHECK(sampler_run(&o, &d, a, labels, 0, 4) == VDMC_ERR_INTERNAL, "guided batch larger than the model's");
  }
  ckpt_model_free(&m);
}

static void check_errors(const char *dir) {
  char path[600];
  CkptModel m;
  const char *forms[] = {"checkpoints", "checkpoints/latest", "checkpoints/step-00001234.h5"};
  for (int i = 0; i < 3; i++) {  // every path form of checkpoint_load names the same file
    snprintf(path, sizeof path, "%s/%s", dir, forms[i]);
    int rc = ckpt_model_load(&m, path, 2, MPI_COMM_WORLD);
    CHECK(rc == VDMC_OK && strstr(m.run.file, "checkpoints/step-00001234.h5"), "load %s: %s", forms[i],
          rc ? vdmc_error_message() : m.run.file);
    ckpt_model_free(&m);
  }
  snprintf(path, sizeof path, "%s/none", dir);
  CHECK(ckpt_model_load(&m, path, 2, MPI_COMM_WORLD) != VDMC_OK && strstr(vdmc_error_message(), path),
        "missing checkpoint: %s", vdmc_error_message());
  ckpt_model_free(&m);
  snprintf(path, sizeof path, "%s/notckpt.h5", dir);
  FILE *f = fopen(path, "w");
  fputs("not hdf5\n", f);
  fclose(f);
  CHECK(ckpt_model_load(&m, path, 2, MPI_COMM_WORLD) != VDMC_OK && strstr(vdmc_error_message(), "no checksum record"),
        "not a checkpoint: %s", vdmc_error_message());
  ckpt_model_free(&m);
}

static int write_test_data(const char *path) {
  enum { N = 20, D = 64 };
  uint8_t bytes[N * D];
  int32_t labels[N];
  float u[N * D];
  fill_uniform(u, N * D, 77, 0, 256);
  for (int i = 0; i < N * D; i++) bytes[i] = (uint8_t)u[i];
  for (int i = 0; i < N; i++) labels[i] = i % 3;
  DatasetSpec spec = {"tiny-test", "test_ckpt_model", N, 8, 8, 1, 3};
  DatasetWriter w;
  int rc = dataset_writer_create(&w, path, &spec);
  if (!rc) rc = dataset_writer_append(&w, bytes, labels, N);
  if (!rc) rc = dataset_writer_commit(&w);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  if (argc >= 3 && !strcmp(argv[1], "write")) {
    TinyRun t = tiny_run_defaults();
    if (argc >= 4 && !strcmp(argv[3], "uncond")) t.num_classes = 0;
    char data[4200];
    snprintf(data, sizeof data, "%s/test.h5", argv[2]);
    t.test_data = data;
    rc = tiny_run_write(argv[2], &t, MPI_COMM_WORLD);
    if (!rc) rc = write_test_data(data);
    if (rc) fprintf(stderr, "test_ckpt_model write: %s\n", vdmc_error_message());
  } else {
    char dir[] = "/tmp/vdmc-ckpt-model-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    check_load(dir);
    check_errors(dir);
    char udir[64];
    snprintf(udir, sizeof udir, "%s/uvit", dir);
    check_uvit(udir);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("could not remove %s\n", dir);
    rc = check_finish("ckpt_model");
  }
  MPI_Finalize();
  return rc;
}
