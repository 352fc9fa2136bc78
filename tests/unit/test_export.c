// vdmc export (src/interop/export.h) of tiny trained-layout U-Net and U-ViT runs: the
// file read back by the C reader holds every tensor of the checkpoint in PyTorch's
// layout (f32 bitwise, bf16/f16 by their rounding rules), the layouts checked index by
// index, and the metadata names step, checkpoint and its crc32s.
// Helper modes for tests/cli/export.sh and export_torch.sh:
//   test_export write RUN unet|uvit|unet-fourier   a tiny random-weight run (tests/common/tiny_run.h;
//                                          unet-fourier: with model.fourier_features)
//   test_export denoise RUN OUT            vdmc's denoiser outputs on fixed inputs and a
//                                          guided DDPM sample with its noise, as safetensors (NHWC)
//   test_export compare A B TOL NAME[=NAME_IN_B]...|--all   max relative difference per
//                                          tensor (--all: every tensor of A, and B has no others);
//                                          TOL 0 means bitwise equal; exit 1 when any exceeds TOL
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "core/half_float.h"
#include "core/status.h"
#include "interop/export.h"
#include "io/safetensors.h"
#include "models/torch_layout.h"
#include "sample/ckpt_model.h"
#include "sample/sampler_internal.h"
#include "tiny_run.h"

// The value a dtype stores for v.
static float narrowed(float v, SafetensorsDtype d) {
  uint16_t h;
  if (d == ST_BF16) return f32_from_bf16(bf16_from_f32(v));
  if (d == ST_F16) return f16_from_f32(v, &h) ? f32_from_f16(h) : NAN;
  return v;
}

// Element (o, i, y, x) of a conv and (o, i) of a linear weight, read from the vdmc
// layout by hand (not through torch_layout.c).
static float torch_element(const ParamInfo *p, const float *w, size_t flat) {
  const size_t *s = p->shape;
  if (p->ndim == 4) {
    size_t x = flat % s[1], y = flat / s[1] % s[0], i = flat / (s[0] * s[1]) % s[2], o = flat / (s[0] * s[1] * s[2]);
    return w[((y * s[1] + x) * s[2] + i) * s[3] + o];
  }
  if (p->ndim == 2 && !strstr(p->name, ".table")) return w[(flat % s[0]) * s[1] + flat / s[0]];
  return w[flat];
}

static void check_export(const char *dir, const char *arch) {
  char run[512], out[600];
  snprintf(run, sizeof run, "%s/%s", dir, arch);
  TinyRun t = tiny_run_defaults();
  t.arch = arch;
  CHECK(tiny_run_write(run, &t, MPI_COMM_WORLD) == VDMC_OK, "write %s: %s", arch, vdmc_error_message());
  CkptModel m;  // the EMA weights and table the export must reproduce
  if (ckpt_model_load(&m, run, 1, MPI_COMM_WORLD)) {
    CHECK(0, "load %s: %s", arch, vdmc_error_message());
    return;
  }
  const ParamTable *table = &m.run.net.params.table;
  size_t total = table->total;
  float *params = malloc(total * sizeof(float)), *buf = malloc(total * sizeof(float));
  fill_uniform(params, total, 100, -0.1f, 0.1f);  // tiny_run_write's "params" array
  const char *weights[2] = {"ema", "params"};
  for (int d = 0; d < ST_DTYPE_COUNT; d++)
    for (int w = 0; w < 2; w++) {
      snprintf(out, sizeof out, "%s/%s-%s-%s.safetensors", dir, arch, weights[w], safetensors_dtype_name(d));
      ExportRequest req = {run, out, weights[w], (SafetensorsDtype)d};
      SafetensorsFile sf;
      if (export_safetensors(&req) || safetensors_open(&sf, out)) {
        CHECK(0, "export %s: %s", out, vdmc_error_message());
        continue;
      }
      const float *src = w ? params : m.run.ema;
      CHECK(sf.count == table->count, "%s: %zu tensors, the model has %zu", out, sf.count, table->count);
      size_t bad = 0;
      for (size_t i = 0; i < table->count; i++) {
        const ParamInfo *p = &table->items[i];
        const SafetensorsTensor *st = safetensors_find(&sf, p->name);
        size_t shape[PARAM_MAX_DIMS];
        int nd = torch_layout_shape(p, shape);
        if (!st || st->ndim != nd || memcmp(st->shape, shape, nd * sizeof *shape) || safetensors_read_f32(&sf, st, buf)) {
          CHECK(0, "%s: tensor %s missing, misshapen or unreadable", out, p->name);
          continue;
        }
        for (size_t k = 0; k < p->numel; k++) {
          float want = narrowed(torch_element(p, src + p->offset, k), (SafetensorsDtype)d);
          if (memcmp(&buf[k], &want, sizeof want)) bad++;
        }
      }
      CHECK(bad == 0, "%s: %zu values differ from the checkpoint's %s", out, bad, weights[w]);
      char crc[2][16];
      snprintf(crc[0], 16, "%lu", crc32(0, (const Bytef *)m.run.ema, (uInt)(total * sizeof(float))));
      snprintf(crc[1], 16, "%lu", crc32(0, (const Bytef *)params, (uInt)(total * sizeof(float))));
      const char *step = safetensors_meta(&sf, "vdmc_step"), *ck = safetensors_meta(&sf, "vdmc_checkpoint");
      const char *ecrc = safetensors_meta(&sf, "vdmc_ema_crc32"), *pcrc = safetensors_meta(&sf, "vdmc_params_crc32");
      const char *model = safetensors_meta(&sf, "vdmc_model"), *cfg = safetensors_meta(&sf, "vdmc_config");
      CHECK(step && !strcmp(step, "1234") && ck && !strcmp(ck, "step-00001234.h5"), "%s: step %s, checkpoint %s", out,
            step, ck);
      CHECK(ecrc && pcrc && !strcmp(ecrc, crc[0]) && !strcmp(pcrc, crc[1]), "%s: crc32 ema %s params %s", out, ecrc, pcrc);
      char arch_key[32];
      snprintf(arch_key, sizeof arch_key, "\"arch\":\"%s\"", arch);
      CHECK(model && strstr(model, arch_key) && cfg && strstr(cfg, "model:"), "%s: model JSON %s", out, model);
      safetensors_close(&sf);
    }
  free(params);
  free(buf);
  ckpt_model_free(&m);
}

// The layout conversion and its inverse are each other's inverse.
static void check_layout_inverse(void) {
  ParamInfo conv = {"c.weight", 0, 2 * 3 * 4 * 5, 4, {2, 3, 4, 5}, 1}, lin = {"l.weight", 0, 6, 2, {2, 3}, 1};
  const ParamInfo *ps[2] = {&conv, &lin};
  for (int k = 0; k < 2; k++) {
    float a[120], b[120], c[120];
    fill_uniform(a, ps[k]->numel, 9, -1, 1);
    torch_layout_from_vdmc(ps[k], b, a);
    torch_layout_to_vdmc(ps[k], c, b);
    CHECK(!memcmp(a, c, ps[k]->numel * sizeof(float)), "%s: to_vdmc(from_vdmc(w)) == w", ps[k]->name);
    for (size_t i = 0; i < ps[k]->numel; i++)
      if (b[i] != torch_element(ps[k], a, i)) {
        CHECK(0, "%s: PyTorch element %zu", ps[k]->name, i);
        break;
      }
  }
}

// ---- helper modes

static int write_run(const char *dir, const char *arch) {
  TinyRun t = tiny_run_defaults();
  t.fourier_features = !strcmp(arch, "unet-fourier");
  t.arch = t.fourier_features ? "unet" : arch;
  return tiny_run_write(dir, &t, MPI_COMM_WORLD);
}

enum { DEN_B = 4, DDPM_STEPS = 8 };

// vdmc's denoiser on fixed inputs and a guided DDPM sample with the noise it drew.
static int denoise(const char *run, const char *out) {
  CkptModel m;
  int rc = ckpt_model_load(&m, run, 2 * DEN_B, MPI_COMM_WORLD);
  if (rc) return rc;
  const UNetConfig *u = &m.run.net.cfg;
  size_t R = (size_t)u->resolution, C = (size_t)u->in_channels, D = R * R * C;
  float *z = malloc(DEN_B * D * sizeof(float)), *den = malloc(DEN_B * D * sizeof(float));
  float *noise = malloc((DDPM_STEPS + 1) * DEN_B * D * sizeof(float)), *x = malloc(DEN_B * D * sizeof(float));
  double lambda[DEN_B] = {-12.5, -2.25, 0.75, 9.5};
  float lambda_f[DEN_B], labels_f[DEN_B], ddpm_labels_f[DEN_B];
  int labels[DEN_B], ddpm_labels[DEN_B];
  for (int b = 0; b < DEN_B; b++) {
    labels[b] = b % (u->num_classes + 1);  // the last one: the null class
    ddpm_labels[b] = b % u->num_classes;
    lambda_f[b] = (float)lambda[b], labels_f[b] = (float)labels[b], ddpm_labels_f[b] = (float)ddpm_labels[b];
  }
  fill_uniform(z, DEN_B * D, 31, -2.0f, 2.0f);
  Denoiser d = ckpt_model_denoiser(&m);
  rc = d.fn(d.ctx, den, z, lambda, labels, DEN_B);
  SamplerOptions o;
  if (!rc) rc = sampler_defaults(&o, SAMPLER_DDPM, m.run.obj.schedule.lambda_min, m.run.obj.schedule.lambda_max);
  o.steps = DDPM_STEPS;
  o.seed = 5;
  o.guidance = 1.5;
  if (!rc) rc = sampler_run(&o, &d, x, ddpm_labels, 0, DEN_B);
  for (int s = 0; s <= DDPM_STEPS; s++) sampler_draw_noise(noise + (size_t)s * DEN_B * D, &o, 0, DEN_B, D, (uint64_t)s);
  SafetensorsOut t[8] = {
      {"z", z, 4, {DEN_B, R, R, C}},          {"lambda", lambda_f, 1, {DEN_B}},
      {"labels", labels_f, 1, {DEN_B}},       {"out", den, 4, {DEN_B, R, R, C}},
      {"ddpm_labels", ddpm_labels_f, 1, {DEN_B}}, {"ddpm_noise", noise, 5, {DDPM_STEPS + 1, DEN_B, R, R, C}},
      {"ddpm_x", x, 4, {DEN_B, R, R, C}},
  };
  char steps[16], guidance[16];
  snprintf(steps, sizeof steps, "%d", DDPM_STEPS);
  snprintf(guidance, sizeof guidance, "%g", o.guidance);
  SafetensorsMeta meta[2] = {{"ddpm_steps", steps}, {"ddpm_guidance", guidance}};
  if (!rc) rc = safetensors_write(out, t, 7, ST_F32, meta, 2);
  free(z), free(den), free(noise), free(x);
  ckpt_model_free(&m);
  return rc;
}

static int compare(int argc, char **argv) {
  SafetensorsFile a, b;
  double tol = atof(argv[4]);
  int rc = safetensors_open(&a, argv[2]), worse = 0;
  if (rc) return rc;
  if ((rc = safetensors_open(&b, argv[3]))) {
    safetensors_close(&a);
    return rc;
  }
  int all = !strcmp(argv[5], "--all"), n_names = all ? (int)a.count : argc - 5;
  if (all && a.count != b.count) rc = vdmc_fail(VDMC_ERR_INPUT, "%zu tensors in A, %zu in B", a.count, b.count);
  for (int i = 0; i < n_names && !rc; i++) {
    char name[256];
    snprintf(name, sizeof name, "%s", all ? a.tensors[i].name : argv[5 + i]);
    char *eq = strchr(name, '=');
    const char *nb = eq ? eq + 1 : name;
    if (eq) *eq = '\0';
    const SafetensorsTensor *ta = safetensors_find(&a, name), *tb = safetensors_find(&b, nb);
    if (!ta || !tb || safetensors_numel(ta) != safetensors_numel(tb)) {
      rc = vdmc_fail(VDMC_ERR_INPUT, "tensor %s / %s missing or of different sizes", name, nb);
      break;
    }
    size_t n = safetensors_numel(ta);
    float *va = malloc(n * sizeof(float) + 1), *vb = malloc(n * sizeof(float) + 1);
    if (!(rc = safetensors_read_f32(&a, ta, va)) && !(rc = safetensors_read_f32(&b, tb, vb))) {
      double diff = 0, mag = 0;
      for (size_t k = 0; k < n; k++) diff = fmax(diff, fabs((double)va[k] - vb[k])), mag = fmax(mag, fabs(vb[k]));
      double rel = mag > 0 ? diff / mag : diff;
      int ok = tol == 0 ? !memcmp(va, vb, n * sizeof(float)) : rel <= tol;
      printf("%-28s max |a-b| %.3g, max |b| %.3g, relative %.3g (tolerance %g%s) %s\n", name, diff, mag, rel, tol,
             tol == 0 ? ": bitwise" : "", ok ? "ok" : "EXCEEDED");
      worse |= !ok;
    }
    free(va), free(vb);
  }
  safetensors_close(&a);
  safetensors_close(&b);
  return rc ? rc : worse ? vdmc_fail(VDMC_ERR_NUMERIC, "a difference exceeds the tolerance") : VDMC_OK;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rc = 0;
  if (argc == 4 && !strcmp(argv[1], "write")) rc = write_run(argv[2], argv[3]);
  else if (argc == 4 && !strcmp(argv[1], "denoise")) rc = denoise(argv[2], argv[3]);
  else if (argc >= 6 && !strcmp(argv[1], "compare")) rc = compare(argc, argv);
  else if (argc == 1) {
    char dir[] = "/tmp/vdmc-export-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    check_layout_inverse();
    check_export(dir, "unet");
    check_export(dir, "uvit");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) printf("could not remove %s\n", dir);
    MPI_Finalize();
    return check_finish("export");
  } else {
    rc = vdmc_fail(VDMC_ERR_INPUT, "usage: test_export [write RUN unet|uvit | denoise RUN OUT | compare A B TOL NAME...]");
  }
  if (rc) fprintf(stderr, "test_export %s: %s\n", argc > 1 ? argv[1] : "", vdmc_error_message());
  MPI_Finalize();
  return rc ? 1 : 0;
}
