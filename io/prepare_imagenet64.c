// `vdmc prepare imagenet64`: downsampled ImageNet .npz files (Chrabaszcz et al.
// 2017): `data` uint8 (N, 3*64*64) with each row in CHW order, `labels` (N,) with
// classes 1..1000. Written as NHWC uint8 with 0-based labels.
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "io/dataset_write.h"
#include "io/npz.h"
#include "io/prepare.h"

#define I64_SIDE 64
#define I64_CLASSES 1000
#define I64_ROW (3 * I64_SIDE * I64_SIDE)
#define I64_BLOCK 256
#define I64_MAX_PARTS 64

typedef struct {
  char path[1100];
  int part;
} NpzFile;

static int by_part(const void *a, const void *b) {
  return ((const NpzFile *)a)->part - ((const NpzFile *)b)->part;
}

// Lists Imagenet64_train_partK.npz sorted by K.
static int list_train_parts(const char *dir, NpzFile *parts, int *count) {
  DIR *d = opendir(dir);
  if (!d) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open the --npz directory", dir);
  struct dirent *e;
  int n = 0, status = VDMC_OK;
  while ((e = readdir(d)) && !status) {
    int part, len = 0;
    if (sscanf(e->d_name, "Imagenet64_train_part%d.npz%n", &part, &len) != 1 || e->d_name[len] != '\0') continue;
    if (n == I64_MAX_PARTS) status = vdmc_fail(VDMC_ERR_INPUT, "%s: more than %d train parts", dir, I64_MAX_PARTS);
    else {
      snprintf(parts[n].path, sizeof parts[n].path, "%s/%s", dir, e->d_name);
      parts[n++].part = part;
    }
  }
  closedir(d);
  qsort(parts, (size_t)n, sizeof *parts, by_part);
  *count = n;
  return status;
}

// Opens `data` and `labels` of one archive and checks their shapes agree.
static int open_arrays(const char *path, zip_t **za, NpyStream *data, NpyStream *labels) {
  memset(data, 0, sizeof *data);
  memset(labels, 0, sizeof *labels);
  int status = npz_open(za, path);
  if (status) return status;
  if ((status = npy_open(data, *za, path, "data"))) goto fail;
  if ((status = npy_open(labels, *za, path, "labels"))) goto fail;
  if (data->elem_size != 1 || data->is_signed || data->cols != I64_ROW)
    status = vdmc_fail(VDMC_ERR_IO, "%s: data is (%zu, %zu) of %zu-byte %s integers, expected uint8 (N, %d)",
                       path, data->rows, data->cols, data->elem_size, data->is_signed ? "signed" : "unsigned",
                       I64_ROW);
  else if (labels->cols != 1 || labels->rows != data->rows)
    status = vdmc_fail(VDMC_ERR_IO, "%s: %zu labels for %zu images", path, labels->rows, data->rows);
  if (!status) return VDMC_OK;
fail:
  npy_close(labels);
  npy_close(data);
  zip_close(*za);
  *za = NULL;
  return status;
}

// CHW rows -> HWC examples.
static void chw_to_hwc(uint8_t *out, const uint8_t *in, size_t n) {
  const size_t hw = I64_SIDE * I64_SIDE;
  for (size_t i = 0; i < n; i++)
    for (size_t p = 0; p < hw; p++)
      for (size_t ch = 0; ch < 3; ch++) out[i * I64_ROW + p * 3 + ch] = in[i * I64_ROW + ch * hw + p];
}

static int append_archive(DatasetWriter *w, const char *path, uint8_t *chw, uint8_t *hwc, void *rawlab,
                          int32_t *labels) {
  zip_t *za = NULL;
  NpyStream data, lab;
  int status = open_arrays(path, &za, &data, &lab);
  for (size_t i = 0; !status && i < data.rows; i += I64_BLOCK) {
    size_t k = data.rows - i < I64_BLOCK ? data.rows - i : I64_BLOCK;
    if ((status = npy_read_rows(&data, chw, k)) || (status = npy_read_rows(&lab, rawlab, k))) break;
    for (size_t j = 0; j < k && !status; j++) {
      int64_t y = npy_element(&lab, rawlab, j);
      if (y < 1 || y > I64_CLASSES)
        status = vdmc_fail(VDMC_ERR_IO, "%s: label %lld of example %zu is not in 1..%d", path, (long long)y,
                           i + j, I64_CLASSES);
      labels[j] = (int32_t)(y - 1);
    }
    if (status) break;
    chw_to_hwc(hwc, chw, k);
    status = dataset_writer_append(w, hwc, labels, k);
  }
  if (za) {
    npy_close(&lab);
    npy_close(&data);
    zip_close(za);
  }
  return status;
}

// Converts the archives `files` into one dataset file out_dir/out_name.
static int convert_split(const NpzFile *files, int nfiles, const char *out_dir, const char *out_name) {
  size_t n = 0;
  for (int f = 0; f < nfiles; f++) {  // pass 1: headers only, to size the output
    zip_t *za = NULL;
    NpyStream data, lab;
    int status = open_arrays(files[f].path, &za, &data, &lab);
    if (status) return status;
    n += data.rows;
    npy_close(&lab);
    npy_close(&data);
    zip_close(za);
  }
  char out[1100], source[1200];
  int status = prepare_output_path(out, sizeof out, out_dir, out_name);
  if (status) return status;
  snprintf(source, sizeof source, "imagenet64 npz: %s%s", files[0].path, nfiles > 1 ? " and further parts" : "");
  DatasetSpec spec = {"imagenet64", source, n, I64_SIDE, I64_SIDE, 3, I64_CLASSES};
  uint8_t *chw = malloc((size_t)I64_BLOCK * I64_ROW), *hwc = malloc((size_t)I64_BLOCK * I64_ROW);
  void *rawlab = malloc(I64_BLOCK * 8);
  int32_t *labels = malloc(I64_BLOCK * sizeof *labels);
  DatasetWriter w;
  if (!chw || !hwc || !rawlab || !labels) status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory", out);
  if (!status && !(status = dataset_writer_create(&w, out, &spec))) {
    for (int f = 0; f < nfiles && !status; f++) status = append_archive(&w, files[f].path, chw, hwc, rawlab, labels);
    status = status ? status : dataset_writer_commit(&w);
    if (status) dataset_writer_abort(&w);
  }
  if (!status) printf("wrote %s (%zu examples)\n", out, n);
  free(labels);
  free(rawlab);
  free(hwc);
  free(chw);
  return status;
}

int prepare_imagenet64(const char *npz_dir, const char *out_dir) {
  NpzFile *parts = calloc(I64_MAX_PARTS, sizeof *parts), val;
  int nparts = 0;
  if (!parts) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory");
  int status = list_train_parts(npz_dir, parts, &nparts);
  snprintf(val.path, sizeof val.path, "%s/val_data.npz", npz_dir);
  FILE *vf = fopen(val.path, "rb");
  if (vf) fclose(vf);
  if (!status && nparts == 0 && !vf)
    status = vdmc_fail(VDMC_ERR_INPUT, "%s: no Imagenet64_train_part*.npz and no val_data.npz", npz_dir);
  if (!status && nparts) status = convert_split(parts, nparts, out_dir, "imagenet64-train.h5");
  if (!status && vf) status = convert_split(&val, 1, out_dir, "imagenet64-val.h5");
  free(parts);
  return status;
}
