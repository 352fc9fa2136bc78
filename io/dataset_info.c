// `vdmc info` for dataset files: what is in the file and how labels are spread.
#include <stdio.h>
#include <stdlib.h>

#include "core/status.h"
#include "io/dataset.h"
#include "io/h5_check.h"

#define INFO_BLOCK 65536
#define INFO_LISTED_CLASSES 20

// "83 examples per chunk" or "contiguous (not chunked)" (files written by other tools).
static int describe_layout(const Dataset *ds, char *out, size_t size) {
  hid_t dcpl = -1;
  hsize_t chunk[4] = {0, 0, 0, 0};
  int status = VDMC_OK;
  H5_CHECK(dcpl = H5Dget_create_plist(ds->images), "%s: /images creation properties", ds->path);
  H5D_layout_t layout = H5Pget_layout(dcpl);
  H5_CHECK(layout, "%s: /images layout", ds->path);
  if (layout == H5D_CHUNKED) {
    H5_CHECK(H5Pget_chunk(dcpl, 4, chunk), "%s: /images chunks", ds->path);
    snprintf(out, size, "%llu examples per chunk", (unsigned long long)chunk[0]);
  } else {
    snprintf(out, size, "contiguous (not chunked)");
  }
cleanup:
  h5_close_id(dcpl);
  return status;
}

static void print_histogram(FILE *out, const size_t *count, int classes) {
  int present = 0, lo = 0, hi = 0;
  size_t total = 0;
  for (int k = 0; k < classes; k++) {
    present += count[k] > 0;
    total += count[k];
    if (count[k] < count[lo]) lo = k;
    if (count[k] > count[hi]) hi = k;
  }
  fprintf(out, "labels      %d of %d classes present; per class min %zu (class %d), max %zu (class %d), mean %.3g\n",
          present, classes, count[lo], lo, count[hi], hi, (double)total / classes);
  fprintf(out, "counts     ");
  for (int k = 0; k < classes && k < INFO_LISTED_CLASSES; k++) fprintf(out, " %d:%zu", k, count[k]);
  fprintf(out, "%s\n", classes > INFO_LISTED_CLASSES ? " ..." : "");
}

int dataset_describe(const char *path, FILE *out) {
  Dataset ds;
  int status = dataset_open(&ds, path, MPI_COMM_NULL);
  if (status) return status;
  size_t *count = calloc((size_t)ds.num_classes, sizeof *count);
  int32_t *labels = malloc(INFO_BLOCK * sizeof *labels);
  if (!count || !labels) status = vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for the label histogram", path);
  for (size_t i = 0; !status && i < ds.n; i += INFO_BLOCK) {
    size_t k = ds.n - i < INFO_BLOCK ? ds.n - i : INFO_BLOCK;
    status = dataset_read_range(&ds, i, k, NULL, labels);
    for (size_t j = 0; !status && j < k; j++) count[labels[j]]++;
  }
  char layout[64];
  if (!status) status = describe_layout(&ds, layout, sizeof layout);
  if (!status) {
    fprintf(out, "file        %s\n", path);
    fprintf(out, "kind        %s (format_version %d)\n", DATASET_KIND, ds.format_version);
    fprintf(out, "name        %s\n", ds.name);
    fprintf(out, "source      %s\n", ds.source);
    fprintf(out, "examples    %zu\n", ds.n);
    fprintf(out, "shape       H %zu, W %zu, C %zu (uint8, NHWC), %s\n", ds.h, ds.w, ds.c, layout);
    fprintf(out, "classes     %d\n", ds.num_classes);
    print_histogram(out, count, ds.num_classes);
  }
  free(labels);
  free(count);
  dataset_close(&ds);
  return status;
}
