// The classifier's weights file (classifier_file.h).
#include "io/classifier_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/h5_attr.h"
#include "io/small_h5.h"

static const char *HINT = "train one with `vdmc train-classifier` (docs/fid.md)";

static void describe(const Classifier *m, char *out, size_t size) {
  const ClassifierConfig *c = &m->cfg;
  int w = c->width;
  snprintf(out, size,
           "input %dx%dx%d; in: conv3x3 %d->%d; down1: GN-SiLU-avgpool2-conv3x3 %d->%d; "
           "down2: GN-SiLU-avgpool2-conv3x3 %d->%d; head: GN-SiLU-mean pool -> features %d, "
           "linear %d->%d logits",
           c->H, c->W, c->C, c->C, w, w, 2 * w, 2 * w, 4 * w, m->F, m->F, c->K);
}

int classifier_save(const char *path, const Classifier *m, const float *params, double test_accuracy) {
  SmallH5 f;
  char arch[512];
  describe(m, arch, sizeof arch);
  const ClassifierConfig *c = &m->cfg;
  size_t n = classifier_param_floats(m);
  int st = small_h5_create(&f, path, CLASSIFIER_KIND, CLASSIFIER_FORMAT_VERSION);
  if (!st) st = small_h5_write(&f, "params", H5T_NATIVE_FLOAT, 1, &n, params);
  const char *names[5] = {"H", "W", "C", "K", "width"};
  int values[5] = {c->H, c->W, c->C, c->K, c->width};
  for (int i = 0; i < 5 && !st; i++) st = h5_attr_write_int(f.file, names[i], values[i], f.out.tmp_path);
  if (!st) st = h5_attr_write_int(f.file, "params_crc32", classifier_params_crc32(m, params), f.out.tmp_path);
  if (!st) st = h5_attr_write_string(f.file, "architecture", arch, f.out.tmp_path);
  if (!st) {
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(f.file, "test_accuracy", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    if (space < 0 || attr < 0 || H5Awrite(attr, H5T_NATIVE_DOUBLE, &test_accuracy) < 0)
      st = vdmc_fail(VDMC_ERR_IO, "%s: cannot write attribute test_accuracy", f.out.tmp_path);
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
  }
  return small_h5_finish(&f, st);
}

int classifier_load(const char *path, Classifier *m, int max_batch, float **params, uint32_t *crc) {
  memset(m, 0, sizeof *m);
  *params = NULL;
  SmallH5 f;
  int st = small_h5_open(&f, path, CLASSIFIER_KIND, CLASSIFIER_FORMAT_VERSION, HINT);
  if (st) return st;
  const char *names[6] = {"H", "W", "C", "K", "width", "params_crc32"};
  long long v[6] = {0};
  for (int i = 0; i < 6 && !st; i++) st = h5_attr_read_int(f.file, names[i], &v[i], path, HINT);
  // bounded before the int casts below and before the network is sized from them
  for (int i = 0; i < 5 && !st; i++)
    if (v[i] < 1 || v[i] > 65536)
      st = vdmc_fail(VDMC_ERR_IO, "%s: attribute %s = %lld is outside 1..65536; %s", path, names[i], v[i], HINT);
  size_t n = 0;
  void *data = NULL;
  if (!st) st = small_h5_read(&f, "params", H5T_NATIVE_FLOAT, sizeof(float), 1, &n, &data);
  small_h5_close(&f);
  ClassifierConfig cfg = {(int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)v[4]};
  if (!st) st = classifier_create(m, &cfg, max_batch);
  if (!st && n != classifier_param_floats(m)) {
    st = vdmc_fail(VDMC_ERR_IO, "%s: /params has %zu floats but the architecture needs %zu; %s", path, n,
                   classifier_param_floats(m), HINT);
  }
  if (!st) {
    *params = vdmc_alloc_floats(n);
    if (!*params) st = VDMC_ERR_MEMORY;
    else memcpy(*params, data, n * sizeof(float));
  }
  free(data);
  if (!st && (*crc = classifier_params_crc32(m, *params)) != (uint32_t)v[5])
    st = vdmc_fail(VDMC_ERR_IO, "%s: /params CRC32 %08x does not match the stored %08x (corrupted?); %s",
                   path, *crc, (unsigned)v[5], HINT);
  if (st) {
    vdmc_free_floats(*params);
    *params = NULL;
    classifier_free(m);
  }
  return st;
}
