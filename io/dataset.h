// The vdmc dataset file: one HDF5 file per split (docs/data.md).
//   /images  uint8 [N,H,W,C]  NHWC, chunked along N (dataset_chunk_examples)
//   /labels  int32 [N]        class index in [0, num_classes)
//   root attributes: vdmc_kind = "dataset", format_version, name, source, num_classes
// Legend: N examples, H/W/C height/width/channels of one example.
#ifndef VDMC_IO_DATASET_H
#define VDMC_IO_DATASET_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#define DATASET_FORMAT_VERSION 2
#define DATASET_KIND "dataset"
// Far above any real label set (ImageNet-21k has 21841): bounds the per-class
// tables of `vdmc info` and the classifier.
#define DATASET_MAX_CLASSES (1 << 20)
// dataset_open checks every label of files up to this many examples (64 MiB of labels).
#define DATASET_LABEL_CHECK_MAX ((size_t)1 << 24)

typedef struct {
  char path[1024];
  hid_t file, images, labels;  // -1 when not open
  size_t n, h, w, c;           // /images is [n, h, w, c]
  int num_classes;
  int format_version;
  char name[256];
  char source[1024];
} Dataset;

// Opens and validates a dataset file. With an MPI communicator the file is opened
// collectively through the MPI-IO driver (H5Pset_fapl_mpio) and every rank of
// `comm` must call it; with MPI_COMM_NULL it is opened serially (vdmc info, prepare
// checks). Any mismatch (kind, format version, dtype, rank, shape, attribute, sizes
// the file does not store, num_classes above DATASET_MAX_CLASSES, a label outside
// [0, num_classes) in files up to DATASET_LABEL_CHECK_MAX examples) is one
// VDMC_ERR_IO line naming the file and what is wrong; nothing stays open then.
int dataset_open(Dataset *ds, const char *path, MPI_Comm comm);

// Reads examples given as `nruns` runs of consecutive indices [start[r], start[r] +
// len[r]) into images (sum len, H, W, C) and labels (sum len), in run order. Runs must
// be increasing and non-overlapping; each run is one hyperslab read. images or
// labels may be NULL to skip that array; nruns may be 0. Labels outside
// [0, num_classes) are an error naming the example.
// Independent transfer: no other rank takes part.
int dataset_read_runs(Dataset *ds, const size_t *start, const size_t *len, size_t nruns,
                      uint8_t *images, int32_t *labels);
// One run: examples [first, first + count).
int dataset_read_range(Dataset *ds, size_t first, size_t count, uint8_t *images, int32_t *labels);

// Collective when opened with a communicator. Safe on a closed or failed Dataset.
void dataset_close(Dataset *ds);

// `vdmc info` for a dataset: attributes, shape, chunking and a label histogram
// summary, printed to `out`. Opens serially and reads only /labels.
int dataset_describe(const char *path, FILE *out);

// Examples per chunk of /images for an example of `example_bytes` bytes: about
// 64 KiB per chunk, at least 1 and at most n (docs/data.md explains the choice).
size_t dataset_chunk_examples(size_t example_bytes, size_t n);

#endif
