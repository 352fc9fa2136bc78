// `prepare imagenet64` on NumPy-written .npz fixtures (stored and deflated) and on
// C-generated malformed archives; `prepare folder` on generated PNG/JPEG trees.
// Every bad input must fail with a message naming the file and leave no output.
#include "io_test_util.h"

#include <jpeglib.h>
#include <mpi.h>
#include <png.h>
#include <zip.h>

#include "check.h"
#include "io/dataset.h"
#include "io/h5_check.h"
#include "io/image_file.h"
#include "io/prepare.h"

static char tmp[256];

static void fixture_dir(char *out, size_t size) {
  const char *fx = getenv("VDMC_FIXTURES");
  snprintf(out, size, "%s/imagenet64", fx ? fx : "tests/fixtures");
}

static int open_out(Dataset *ds, const char *dir, const char *file) {
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  return dataset_open(ds, path, MPI_COMM_NULL);
}

// Checks examples of `ds` against the generator of tests/reference/make_imagenet64_npz.py.
static void check_imagenet_rows(Dataset *ds, size_t first_global, const char *what) {
  size_t bad = 0;
  uint8_t img[64 * 64 * 3];
  int32_t lab;
  for (size_t i = 0; i < ds->n; i++) {
    CHECK(dataset_read_range(ds, i, 1, img, &lab) == VDMC_OK, "%s: read", what);
    size_t g = first_global + i;
    bad += lab != (int32_t)((g * 389) % 1000);
    for (size_t y = 0; y < 64; y++)
      for (size_t x = 0; x < 64; x++)
        for (size_t c = 0; c < 3; c++) {
          size_t k = c * 4096 + y * 64 + x;  // CHW position in the .npy row
          bad += img[(y * 64 + x) * 3 + c] != (uint8_t)((g * 37 + k * 11) % 256);
        }
  }
  CHECK(bad == 0, "%s: NHWC pixels and 0-based labels match the npz rows (%zu mismatches)", what, bad);
}

static void test_imagenet_fixtures(void) {
  char src[512], out[300];
  fixture_dir(src, sizeof src);
  snprintf(out, sizeof out, "%s/i64", tmp);
  CHECK(prepare_imagenet64(src, out) == VDMC_OK, "prepare imagenet64: %s", vdmc_error_message());
  Dataset ds;
  CHECK(open_out(&ds, out, "imagenet64-train.h5") == VDMC_OK, "open train: %s", vdmc_error_message());
  CHECK(ds.n == 6 && ds.h == 64 && ds.w == 64 && ds.c == 3 && ds.num_classes == 1000, "train shape n=%zu", ds.n);
  check_imagenet_rows(&ds, 0, "train parts 1, 2, 10 in numeric order");
  dataset_close(&ds);
  CHECK(open_out(&ds, out, "imagenet64-val.h5") == VDMC_OK, "open val: %s", vdmc_error_message());
  CHECK(ds.n == 4, "val n=%zu", ds.n);
  check_imagenet_rows(&ds, 1000, "val (deflated)");
  dataset_close(&ds);
}

// ---- malformed archives -------------------------------------------------------

typedef struct {
  uint8_t *bytes;
  size_t len;
} Blob;

// A .npy file: `magic` (6 bytes), version 1.0, the header dict padded to 64, then data.
static Blob npy_blob(const char *magic, const char *descr, const char *shape, const void *data, size_t bytes) {
  char dict[256];
  int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
  size_t hlen = ((10 + (size_t)n + 1 + 63) / 64) * 64 - 10;
  Blob b = {malloc(10 + hlen + bytes), 10 + hlen + bytes};
  memcpy(b.bytes, magic, 6);
  b.bytes[6] = 1, b.bytes[7] = 0, b.bytes[8] = hlen & 255, b.bytes[9] = hlen >> 8;
  memset(b.bytes + 10, ' ', hlen);
  memcpy(b.bytes + 10, dict, (size_t)n);
  b.bytes[10 + hlen - 1] = '\n';
  memcpy(b.bytes + 10 + hlen, data, bytes);
  return b;
}

typedef struct {
  const char *what;
  const char *magic;
  size_t rows, cols, label_rows, data_rows_written;
  int64_t label0;
  int labels_present;
  int deflate;
  const char *expect;  // NULL: must succeed
} NpzCase;

static void write_npz(const char *path, const NpzCase *c) {
  uint8_t *data = calloc(c->rows * c->cols + 1, 1);
  int64_t labels[8] = {c->label0, 7, 8, 9, 10, 11, 12, 13};
  char shape[64], lshape[64];
  snprintf(shape, sizeof shape, "(%zu, %zu)", c->rows, c->cols);
  snprintf(lshape, sizeof lshape, "(%zu,)", c->label_rows);
  Blob d = npy_blob(c->magic, "|u1", shape, data, c->data_rows_written * c->cols);
  Blob l = npy_blob("\x93NUMPY", "<i8", lshape, labels, c->label_rows * 8);
  zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, NULL);
  zip_int64_t i = zip_file_add(za, "data.npy", zip_source_buffer(za, d.bytes, d.len, 0), ZIP_FL_OVERWRITE);
  zip_set_file_compression(za, (zip_uint64_t)i, c->deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  if (c->labels_present) {
    i = zip_file_add(za, "labels.npy", zip_source_buffer(za, l.bytes, l.len, 0), ZIP_FL_OVERWRITE);
    zip_set_file_compression(za, (zip_uint64_t)i, c->deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  CHECK(zip_close(za) == 0, "%s: writing the zip", c->what);
  free(d.bytes), free(l.bytes), free(data);
}

static void copy_damaged(const char *from, const char *to, long cut_to, long flip_at) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  int ch;
  for (long k = 0; (ch = fgetc(in)) != EOF && (cut_to < 0 || k < cut_to); k++)
    fputc(k >= flip_at && k < flip_at + 16 && flip_at >= 0 ? ch ^ 0x5a : ch, out);
  fclose(in), fclose(out);
}

// Runs prepare_imagenet64 on dir and checks the failure (or success) of case `what`.
static void expect_prepare(int status, const char *what, const char *expect, const char *names, const char *out_file) {
  const char *msg = vdmc_error_message();
  if (!expect) {
    CHECK(status == VDMC_OK && io_test_exists(out_file), "%s: must succeed: %s", what, msg);
    return;
  }
  CHECK(status != VDMC_OK, "%s: must fail", what);
  CHECK(strstr(msg, expect) != NULL, "%s: message '%s' lacks '%s'", what, msg, expect);
  CHECK(strstr(msg, names) != NULL, "%s: message '%s' names %s", what, msg, names);
  char tmpf[700];
  snprintf(tmpf, sizeof tmpf, "%s.tmp", out_file);
  CHECK(!io_test_exists(out_file) && !io_test_exists(tmpf), "%s: no output file", what);
}

typedef struct {
  char dir[300], npz[400], out[300], out_file[400];
} NpzPaths;

// A fresh input directory tmp/<tag>K holding val_data.npz, and its output paths.
static NpzPaths npz_paths(const char *tag, size_t k) {
  NpzPaths p;
  snprintf(p.dir, sizeof p.dir, "%s/%s%zu", tmp, tag, k);
  snprintf(p.out, sizeof p.out, "%s/%s-out%zu", tmp, tag, k);
  snprintf(p.npz, sizeof p.npz, "%s/val_data.npz", p.dir);
  snprintf(p.out_file, sizeof p.out_file, "%s/imagenet64-val.h5", p.out);
  mkdir(p.dir, 0777);
  return p;
}

static void test_imagenet_bad(void) {
  const char *OK = "\x93NUMPY";
  const NpzCase cases[] = {
      {"valid control (stored)", OK, 2, 12288, 2, 2, 1000, 1, 0, NULL},
      {"valid control (deflated)", OK, 2, 12288, 2, 2, 1, 1, 1, NULL},
      {"bad npy magic", "\x93NUMPZ", 2, 12288, 2, 2, 5, 1, 1, "bad .npy magic"},
      {"label count", OK, 2, 12288, 3, 2, 5, 1, 0, "3 labels for 2 images"},
      {"label range", OK, 2, 12288, 2, 2, 0, 1, 1, "label 0 of example 0 is not in 1..1000"},
      {"row size", OK, 2, 100, 2, 2, 5, 1, 0, "expected uint8 (N, 12288)"},
      {"truncated member", OK, 3, 12288, 3, 2, 5, 1, 1, "truncated while reading the array data"},
      {"missing labels", OK, 2, 12288, 2, 2, 5, 0, 0, "no array 'labels'"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    NpzPaths p = npz_paths("npz", k);
    write_npz(p.npz, &cases[k]);
    vdmc_clear_error();
    expect_prepare(prepare_imagenet64(p.dir, p.out), cases[k].what, cases[k].expect, p.npz, p.out_file);
  }
  // Damaged copies of the NumPy-written deflated fixture.
  char src[512], good[600];
  fixture_dir(src, sizeof src);
  snprintf(good, sizeof good, "%s/val_data.npz", src);
  const struct {
    const char *what;
    long cut, flip;
    const char *expect;
  } damage[] = {{"truncated archive", 500, -1, "cannot open as .npz"}, {"corrupt deflate stream", -1, 60, "corrupt"}};
  for (size_t k = 0; k < 2; k++) {
    NpzPaths p = npz_paths("dmg", k);
    copy_damaged(good, p.npz, damage[k].cut, damage[k].flip);
    vdmc_clear_error();
    expect_prepare(prepare_imagenet64(p.dir, p.out), damage[k].what, damage[k].expect, p.npz, p.out_file);
  }
  char empty[300];
  snprintf(empty, sizeof empty, "%s/npz-empty", tmp);
  mkdir(empty, 0777);
  CHECK(prepare_imagenet64(empty, tmp) == VDMC_ERR_INPUT && strstr(vdmc_error_message(), "no Imagenet64_train_part"),
        "empty --npz directory: %s", vdmc_error_message());
}

// ---- image folders ------------------------------------------------------------

static void write_png(const char *path, const uint8_t *rgb, int h, int w) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = (png_uint_32)w, img.height = (png_uint_32)h, img.format = PNG_FORMAT_RGB;
  CHECK(png_image_write_to_file(&img, path, 0, rgb, 0, NULL) != 0, "write %s", path);
}

static void write_jpeg(const char *path, const uint8_t *rgb, int h, int w) {
  struct jpeg_compress_struct c;
  struct jpeg_error_mgr err;
  FILE *f = fopen(path, "wb");
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  jpeg_stdio_dest(&c, f);
  c.image_width = (JDIMENSION)w, c.image_height = (JDIMENSION)h, c.input_components = 3, c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 95, TRUE);
  jpeg_start_compress(&c, TRUE);
  for (int y = 0; y < h; y++) {
    JSAMPROW row = (JSAMPROW)(rgb + (size_t)y * w * 3);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  jpeg_destroy_compress(&c);
  fclose(f);
}

static void write_constant(const char *path, int h, int w, uint8_t r, uint8_t g, uint8_t b, int jpeg) {
  uint8_t *rgb = malloc((size_t)h * w * 3);
  for (int i = 0; i < h * w; i++) rgb[3 * i] = r, rgb[3 * i + 1] = g, rgb[3 * i + 2] = b;
  if (jpeg) write_jpeg(path, rgb, h, w);
  else write_png(path, rgb, h, w);
  free(rgb);
}

static void make_class(const char *src, const char *name) {
  char p[500];
  snprintf(p, sizeof p, "%s/%s", src, name);
  mkdir(src, 0777);
  mkdir(p, 0777);
}

static void test_folder(void) {
  char src[300], out[300], p[600];
  snprintf(src, sizeof src, "%s/zoo", tmp);
  snprintf(out, sizeof out, "%s/zoo-out", tmp);
  make_class(src, "cat"), make_class(src, "ant"), make_class(src, "bee");
  // ant/a.png: 4 x 6, the central 4 x 4 holds 10y + 2x + c, the two side columns 255.
  uint8_t a[4 * 6 * 3];
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 6; x++)
      for (int c = 0; c < 3; c++) a[(y * 6 + x) * 3 + c] = (x == 0 || x == 5) ? 255 : (uint8_t)(10 * y + 2 * (x - 1) + c);
  snprintf(p, sizeof p, "%s/ant/a.png", src), write_png(p, a, 4, 6);
  snprintf(p, sizeof p, "%s/bee/b1.jpg", src), write_constant(p, 16, 16, 200, 100, 50, 1);
  snprintf(p, sizeof p, "%s/bee/b2.png", src), write_constant(p, 3, 3, 1, 2, 3, 0);
  snprintf(p, sizeof p, "%s/cat/c1.png", src), write_constant(p, 5, 5, 9, 8, 7, 0);
  snprintf(p, sizeof p, "%s/cat/c2.PNG", src), write_constant(p, 8, 4, 60, 70, 80, 0);
  snprintf(p, sizeof p, "%s/cat/README.txt", src);
  FILE *f = fopen(p, "w");
  fputs("not an image\n", f), fclose(f);
  CHECK(prepare_folder(src, 2, out) == VDMC_OK, "prepare folder: %s", vdmc_error_message());
  Dataset ds;
  CHECK(open_out(&ds, out, "zoo.h5") == VDMC_OK, "open zoo.h5: %s", vdmc_error_message());
  CHECK(ds.n == 5 && ds.h == 2 && ds.w == 2 && ds.c == 3 && ds.num_classes == 3 && !strcmp(ds.name, "zoo"),
        "folder shape n=%zu %zux%zux%zu classes %d", ds.n, ds.h, ds.w, ds.c, ds.num_classes);
  uint8_t img[5 * 12];
  int32_t lab[5];
  CHECK(dataset_read_range(&ds, 0, 5, img, lab) == VDMC_OK, "read");
  CHECK(lab[0] == 0 && lab[1] == 1 && lab[2] == 1 && lab[3] == 2 && lab[4] == 2, "labels by sorted class name");
  size_t bad = 0;
  for (int y = 0; y < 2; y++)  // 2x2 block means of the central square, rounded half up
    for (int x = 0; x < 2; x++)
      for (int c = 0; c < 3; c++) {
        int sum = 0;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) sum += 10 * (2 * y + dy) + 2 * (2 * x + dx) + c;
        bad += img[(y * 2 + x) * 3 + c] != (sum + 2) / 4;
      }
  CHECK(bad == 0, "center crop + area resize of ant/a.png (%zu wrong)", bad);
  const uint8_t want[4][3] = {{200, 100, 50}, {1, 2, 3}, {9, 8, 7}, {60, 70, 80}};
  for (int i = 1; i < 5; i++)
    for (int k = 0; k < 12; k++) {
      int d = img[i * 12 + k] - want[i - 1][k % 3];
      CHECK(d >= -3 && d <= 3 && (i == 1 || d == 0), "example %d channel %d: %d vs %d", i, k % 3, img[i * 12 + k],
            want[i - 1][k % 3]);
    }
  dataset_close(&ds);

  // 3 -> 2 with fractional coverage: out0 = (in0 + in1/2) / 1.5, out1 = (in1/2 + in2) / 1.5.
  uint8_t line[9] = {0, 0, 0, 90, 90, 90, 240, 240, 240}, o[2 * 2 * 3];
  uint8_t sq[27];
  for (int y = 0; y < 3; y++) memcpy(sq + 9 * y, line, 9);
  float scratch[3 * 7 + 2];
  image_center_crop_resize(o, 2, sq, 3, 3, 3, scratch);
  CHECK(o[0] == 30 && o[3] == 190, "fractional area weights: %d %d (want 30 190)", o[0], o[3]);
}

static void test_folder_bad(void) {
  const struct {
    const char *what, *file;
    int kind;  // 0 empty class folder, 1 no class folders, 2 truncated png, 3 truncated jpeg, 4 garbage .png,
               // 5 a png chunk longer than the file (the image fuzz target's 1.95 GB allocation)
    const char *expect;
  } cases[] = {
      {"empty class folder", "dog", 0, "class folder has no .png/.jpg/.jpeg images"},
      {"no class folders", NULL, 1, "no class subfolders"},
      {"truncated png", "x/t.png", 2, "corrupt or truncated PNG"},
      {"truncated jpeg", "x/t.jpg", 3, "corrupt or truncated JPEG"},
      {"garbage png", "x/g.png", 4, "neither a PNG nor a JPEG"},
      {"chunk past the end", "x/c.png", 5, "corrupt or truncated PNG: chunk '?ELF' at byte 33 claims 2135247942 bytes, the file has"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char src[300], out[300], p[700], good[700], out_file[400];
    snprintf(src, sizeof src, "%s/bad%zu", tmp, k);
    snprintf(out, sizeof out, "%s/badout%zu", tmp, k);
    snprintf(out_file, sizeof out_file, "%s/bad%zu.h5", out, k);
    mkdir(src, 0777);
    if (cases[k].kind != 1) {
      make_class(src, "x");
      snprintf(good, sizeof good, "%s/x/a-good.png", src);
      write_constant(good, 8, 8, 1, 2, 3, 0);
    }
    snprintf(p, sizeof p, "%s/%s", src, cases[k].file ? cases[k].file : "");
    if (cases[k].kind == 0) make_class(src, "dog");
    if (cases[k].kind == 2 || cases[k].kind == 3) {
      char whole[800];
      struct stat st;
      snprintf(whole, sizeof whole, "%s.whole", p);
      uint8_t rgb[32 * 32 * 3];
      for (int i = 0; i < 32 * 32 * 3; i++) rgb[i] = (uint8_t)(i * 7);
      if (cases[k].kind == 2) write_png(whole, rgb, 32, 32);
      else write_jpeg(whole, rgb, 32, 32);
      stat(whole, &st);
      copy_damaged(whole, p, (long)st.st_size / 2, -1);
      remove(whole);
    }
    if (cases[k].kind == 5) {  // the chunk after IHDR (byte 33) claims 0x7f454c46 bytes, its type too
      write_constant(p, 8, 8, 4, 5, 6, 0);
      FILE *f = fopen(p, "r+b");
      fseek(f, 33, SEEK_SET);
      fwrite("\x7f""ELF\x7f""ELF", 1, 8, f), fclose(f);
    }
    if (cases[k].kind == 4) {
      FILE *f = fopen(p, "w");
      fputs("GIF89a not really", f), fclose(f);
    }
    vdmc_clear_error();
    int status = prepare_folder(src, 4, out);
    const char *names = cases[k].kind == 1 ? src : cases[k].kind == 0 ? "dog" : p;
    expect_prepare(status, cases[k].what, cases[k].expect, names, out_file);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  h5_quiet();
  if (io_test_tmpdir(tmp, sizeof tmp, "prepare")) return 1;
  test_imagenet_fixtures();
  test_imagenet_bad();
  test_folder();
  test_folder_bad();
  io_test_rmdir(tmp);
  int rc = check_finish("prepare_images");
  MPI_Finalize();
  return rc;
}
