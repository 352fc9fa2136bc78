// FID Inception-v3: parity with the PyTorch reference (tests/reference/gen_inception.py,
// deterministic weights both sides compute bit-identically) for RGB and grayscale uint8
// images of other sizes than 299; the weights CRC against the converter's; the HDF5
// loader (a full file written here, read back, same outputs) and its errors; bad
// forward arguments.
#include "io_test_util.h"  // first: it sets _POSIX_C_SOURCE for mkdtemp

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/output_file.h"
#include "eval/features.h"
#include "io/small_h5.h"
#include "fixture.h"
#include "io/h5_attr.h"
#include "io/h5_check.h"
#include "io/inception_file.h"
#include "models/inception.h"

typedef struct {
  const char *name;
  int B, H, W, C;
  float *pool3, *logits;  // outputs of the in-memory network
} ImageSet;

static uint8_t *images_from(const Fixture *fx, const ImageSet *s) {
  size_t n = (size_t)s->B * s->H * s->W * s->C;
  const int *v = fixture_ints(fx, s->name, n);
  if (!v) return NULL;
  uint8_t *u = malloc(n);
  for (size_t i = 0; i < n; i++) u[i] = (uint8_t)v[i];
  return u;
}

static void parity(Inception *net, const Fixture *fx, ImageSet *s) {
  char key[64], what[96];
  uint8_t *img = images_from(fx, s);
  snprintf(key, sizeof key, "pool3_%s", s->name);
  const float *p_ref = fixture_floats(fx, key, (size_t)s->B * INCEPTION_FEATURES);
  snprintf(key, sizeof key, "logits_%s", s->name);
  const float *l_ref = fixture_floats(fx, key, (size_t)s->B * INCEPTION_CLASSES);
  CHECK(img && p_ref && l_ref, "%s: fixture arrays", s->name);
  if (!img || !p_ref || !l_ref) return free(img);
  s->pool3 = malloc((size_t)s->B * INCEPTION_FEATURES * sizeof(float));
  s->logits = malloc((size_t)s->B * INCEPTION_CLASSES * sizeof(float));
  memset(s->logits, 0x7f, (size_t)s->B * INCEPTION_CLASSES * sizeof(float));
  int st = inception_forward_u8(net, img, s->B, s->H, s->W, s->C, s->pool3, s->logits);
  CHECK(st == 0, "%s forward: %s", s->name, st ? vdmc_error_message() : "");
  snprintf(what, sizeof what, "%s pool3", s->name);
  double ep = CHECK_ARRAYS(s->pool3, p_ref, (size_t)s->B * INCEPTION_FEATURES, 1e-4, what);
  snprintf(what, sizeof what, "%s logits", s->name);
  double el = CHECK_ARRAYS(s->logits, l_ref, (size_t)s->B * INCEPTION_CLASSES, 1e-4, what);
  printf("%s (%d x %dx%dx%d uint8): max rel err vs PyTorch float64: pool3 %.2e, logits %.2e\n", s->name,
         s->B, s->H, s->W, s->C, ep, el);

  // Image 0 alone gives its batch row (within GEMM summation-order noise).
  float *p1 = malloc(INCEPTION_FEATURES * sizeof(float));
  CHECK(inception_forward_u8(net, img, 1, s->H, s->W, s->C, p1, NULL) == 0, "%s batch of 1", s->name);
  snprintf(what, sizeof what, "%s image 0 alone == in its batch", s->name);
  CHECK_ARRAYS(p1, s->pool3, INCEPTION_FEATURES, 1e-5, what);
  free(p1), free(img);
}

// Returns the message of a failing load (or "" when it succeeded, which CHECK reports).
static const char *load_error(const char *path) {
  Inception net;
  uint32_t crc;
  int st = inception_load(path, 1, &net, &crc);
  if (st == 0) {
    inception_free(&net);
    return "";
  }
  return vdmc_error_message();
}

static void expect_load_error(const char *path, const char *needle, const char *what) {
  const char *msg = load_error(path);
  CHECK(*msg && strstr(msg, needle), "%s: load fails naming '%s' (got: %s)", what, needle, msg);
  printf("%s -> %s\n", what, msg);
}

// Writes tensors [0, n) of the deterministic weights (tensor `bad` with its first dim + 1).
static int write_weights(const char *path, const char *kind, int version, const Inception *net, int n,
                         int bad, long long crc_attr) {
  SmallH5 f;
  output_forget_inputs();  // this test rewrites the file it just loaded, on purpose
  int st = small_h5_create(&f, path, kind, version);
  float *buf = malloc((size_t)INCEPTION_FEATURES * INCEPTION_CLASSES * sizeof(float));
  for (int i = 0; i < n && !st; i++) {
    char name[64];
    size_t shape[4];
    int ndim = inception_tensor_name(net, i, name, sizeof name, shape);
    st = inception_test_tensor(NULL, i, name, ndim, shape, buf);
    if (i == bad) shape[0]++;
    if (!st) st = small_h5_write(&f, name, H5T_NATIVE_FLOAT, ndim, shape, buf);
  }
  if (!st && crc_attr >= 0) st = h5_attr_write_int(f.file, "weights_crc32", crc_attr, f.out.tmp_path);
  free(buf);
  return small_h5_finish(&f, st);
}

static void loader(const Inception *ref, uint32_t crc, ImageSet *s, const Fixture *fx) {
  char dir[256], path[512];
  if (io_test_tmpdir(dir, sizeof dir, "inception")) {
    CHECK(0, "tmpdir");
    return;
  }
  snprintf(path, sizeof path, "%s/w.h5", dir);
  expect_load_error(path, path, "missing file");
  expect_load_error("", "no weights file given", "empty path");
  FILE *junk = fopen(path, "w");  // e.g. the .pth given instead of the converted file
  if (junk) fputs("PK not an HDF5 file", junk), fclose(junk);
  expect_load_error(path, path, "not an HDF5 file");
  CHECK(write_weights(path, "classifier", 1, ref, 0, -1, -1) == 0, "write");
  expect_load_error(path, "expected 'inception-v3-fid'", "wrong vdmc_kind");
  CHECK(write_weights(path, INCEPTION_KIND, 2, ref, 0, -1, -1) == 0, "write");
  expect_load_error(path, "format_version 2", "wrong format_version");
  CHECK(write_weights(path, INCEPTION_KIND, 1, ref, 0, -1, -1) == 0, "write");
  expect_load_error(path, "missing dataset /Conv2d_1a_3x3.conv.weight", "no tensors");
  CHECK(write_weights(path, INCEPTION_KIND, 1, ref, 7, 6, -1) == 0, "write");
  expect_load_error(path, "/Conv2d_2a_3x3.bn.weight has shape (33), expected (32)", "wrong shape");

  // The whole file (~95 MB): same CRC, same outputs bit for bit; a wrong stored CRC fails.
  CHECK(write_weights(path, INCEPTION_KIND, 1, ref, INCEPTION_TENSORS, -1, crc) == 0, "write full");
  Inception net;
  uint32_t crc2 = 0;
  int st = inception_load(path, 2, &net, &crc2);
  CHECK(st == 0, "load full file: %s", st ? vdmc_error_message() : "");
  if (!st) {
    CHECK(crc2 == crc, "loaded CRC %08x == %08x", crc2, crc);
    uint8_t *img = images_from(fx, s);
    float *p = malloc((size_t)s->B * INCEPTION_FEATURES * sizeof(float));
    float *l = malloc((size_t)s->B * INCEPTION_CLASSES * sizeof(float));
    CHECK(img && inception_forward_u8(&net, img, s->B, s->H, s->W, s->C, p, l) == 0, "forward loaded");
    CHECK(memcmp(p, s->pool3, (size_t)s->B * INCEPTION_FEATURES * sizeof(float)) == 0 &&
              memcmp(l, s->logits, (size_t)s->B * INCEPTION_CLASSES * sizeof(float)) == 0,
          "loaded network == in-memory network, bit for bit");
    // the same file through the FID feature backend (eval/features_inception.c)
    FeatureNet f;
    st = features_load(&f, path, 2);
    CHECK(st == 0, "features_load: %s", st ? vdmc_error_message() : "");
    if (!st) {
      CHECK(f.F == INCEPTION_FEATURES && f.K == INCEPTION_CLASSES && f.crc == crc && f.H == 0 &&
                f.channels == (1u << 1 | 1u << 3), "backend: F %d K %d crc %08x", f.F, f.K, f.crc);
      memset(p, 0, (size_t)s->B * INCEPTION_FEATURES * sizeof(float));
      CHECK(img && f.backend->forward(&f, img, s->B, s->H, s->W, s->C, p, l) == 0, "backend forward");
      CHECK(memcmp(p, s->pool3, (size_t)s->B * INCEPTION_FEATURES * sizeof(float)) == 0,
            "backend pool3 == in-memory network, bit for bit");
      features_free(&f);
    }
    free(img), free(p), free(l);
    inception_free(&net);
  }
  CHECK(write_weights(path, INCEPTION_KIND, 1, ref, INCEPTION_TENSORS, -1, crc ^ 1u) == 0, "write full");
  expect_load_error(path, "does not match the stored weights_crc32", "corrupted weights");
  io_test_rmdir(dir);
}

// A file written by jobs/convert_fid_inception.py (h5py: variable-length string
// attributes, int64 integers), when VDMC_INCEPTION_TEST_H5 names one made by
// `tests/reference/gen_inception.py --h5 PATH`: same CRC and outputs as in memory.
static void converter_file(uint32_t crc, const ImageSet *s, const Fixture *fx) {
  const char *path = getenv("VDMC_INCEPTION_TEST_H5");
  if (!path || !*path) {
    printf("VDMC_INCEPTION_TEST_H5 not set: converter-written file not loaded\n");
    return;
  }
  Inception net;
  uint32_t crc2 = 0;
  int st = inception_load(path, s->B, &net, &crc2);
  CHECK(st == 0, "load %s: %s", path, st ? vdmc_error_message() : "");
  if (st) return;
  CHECK(crc2 == crc, "converter file CRC %08x == %08x", crc2, crc);
  uint8_t *img = images_from(fx, s);
  float *p = malloc((size_t)s->B * INCEPTION_FEATURES * sizeof(float));
  CHECK(img && inception_forward_u8(&net, img, s->B, s->H, s->W, s->C, p, NULL) == 0, "forward");
  CHECK(memcmp(p, s->pool3, (size_t)s->B * INCEPTION_FEATURES * sizeof(float)) == 0,
        "converter file gives the in-memory network's pool3 bit for bit");
  printf("loaded the converter-written %s\n", path);
  free(img), free(p);
  inception_free(&net);
}

static void bad_arguments(Inception *net) {
  uint8_t img[2 * 5 * 4 * 3] = {0};
  float pool3[3 * INCEPTION_FEATURES];
  struct {
    int B, H, W, C;
    const char *needle;
  } cases[] = {{1, 5, 4, 2, "2 channels"}, {1, 5, 4, 4, "4 channels"}, {3, 5, 4, 3, "batch 3 outside 1..2"},
               {0, 5, 4, 3, "batch 0"}, {1, 0, 4, 3, "image size 0x4"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int st = inception_forward_u8(net, img, cases[i].B, cases[i].H, cases[i].W, cases[i].C, pool3, NULL);
    CHECK(st == VDMC_ERR_INPUT && strstr(vdmc_error_message(), cases[i].needle),
          "bad input rejected naming '%s' (got %d: %s)", cases[i].needle, st, vdmc_error_message());
  }
  CHECK(inception_forward_u8(net, NULL, 1, 5, 4, 3, pool3, NULL) == VDMC_ERR_INPUT, "NULL images");
  // A 1x1 image and a 5x4 pair are valid (any size >= 1).
  CHECK(inception_forward_u8(net, img, 1, 1, 1, 3, pool3, NULL) == 0, "1x1 image");
  CHECK(inception_forward_u8(net, img, 2, 5, 4, 3, pool3, NULL) == 0, "5x4 images");
  Inception none;
  uint32_t crc;
  CHECK(inception_init(&none, 0, inception_test_tensor, NULL, &crc) == VDMC_ERR_INPUT &&
            strstr(vdmc_error_message(), "max_batch 0"),
        "max_batch 0 rejected");
  CHECK(inception_forward_u8(&none, img, 1, 5, 4, 3, pool3, NULL) == VDMC_ERR_INPUT, "unloaded network");
  CHECK(inception_forward_u8(NULL, img, 1, 5, 4, 3, pool3, NULL) == VDMC_ERR_INPUT, "NULL network");
}

int main(void) {
  h5_quiet();
  Fixture fx;
  if (fixture_load(&fx, "inception.fix")) {
    CHECK(0, "inception.fix missing");
    return check_finish("inception");
  }
  Inception net;
  uint32_t crc = 0;
  int st = inception_init(&net, 2, inception_test_tensor, NULL, &crc);
  CHECK(st == 0, "init: %s", st ? vdmc_error_message() : "");
  if (st) return check_finish("inception");
  const double *crc_ref = NULL;
  const FixtureArray *a = fixture_get(&fx, "crc");
  if (a && a->dtype == 2 && a->numel == 1) crc_ref = a->data;
  CHECK(crc_ref && (uint32_t)*crc_ref == crc, "weights CRC32 %08x == the converter's %08x", crc,
        crc_ref ? (unsigned)(uint32_t)*crc_ref : 0u);
  printf("%d convs, %.2f GFLOP/image, arena %.1f MB for max_batch 2\n", net.n_convs,
         inception_flops_per_image(&net) / 1e9, net.arena.capacity * 4.0 / 1e6);

  ImageSet rgb = {"rgb", 2, 32, 32, 3, NULL, NULL}, gray = {"gray", 1, 28, 28, 1, NULL, NULL};
  parity(&net, &fx, &rgb);
  parity(&net, &fx, &gray);
  bad_arguments(&net);
  if (rgb.pool3) loader(&net, crc, &rgb, &fx);
  if (rgb.pool3) converter_file(crc, &rgb, &fx);
  free(rgb.pool3), free(rgb.logits), free(gray.pool3), free(gray.logits);
  inception_free(&net);
  fixture_free(&fx);
  return check_finish("inception");
}
