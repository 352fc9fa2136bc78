// Collective write of sampled images in the dataset format (io/dataset.h,
// docs/data.md): every rank writes its own contiguous rows of /images and /labels
// through MPI-IO with collective transfers, into PATH.tmp, renamed to PATH by rank 0
// once all ranks closed it without error. Nothing is gathered, so the size is not
// limited by one rank's memory.
#ifndef VDMC_SAMPLE_SAMPLES_H5_H
#define VDMC_SAMPLE_SAMPLES_H5_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "io/dataset_write.h"

// Collective. spec: the whole file (n = all samples); this rank's rows are
// [first, first + count): bytes (count, H, W, C), labels (count) in [0, num_classes).
// Every rank returns the same status.
int samples_h5_write(const char *path, const DatasetSpec *spec, const uint8_t *bytes, const int32_t *labels,
                     size_t first, size_t count, MPI_Comm comm);

#endif
