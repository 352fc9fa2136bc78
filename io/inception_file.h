// The FID Inception-v3 weights file (models/inception.h is the network).
#ifndef VDMC_IO_INCEPTION_FILE_H
#define VDMC_IO_INCEPTION_FILE_H

#include <stdint.h>

#include "models/inception.h"

// Reads the weights file (vdmc_kind "inception-v3-fid", format_version 1; written by
// jobs/convert_fid_inception.py): one float32 dataset per state-dict tensor,
// "<conv>.conv.weight" (kh,kw,Cin,Cout), "<conv>.bn.{weight,bias,running_mean,
// running_var}" (Cout), "fc.weight" (2048,1008), "fc.bias" (1008). *crc receives the
// CRC32 of all tensors as stored, in canonical order (inception_tensor_name): the
// network's identity in FID statistics files; a file attribute weights_crc32, when
// present, must match it. Plans the arena for batches up to max_batch.
int inception_load(const char *weights_h5, int max_batch, Inception *net, uint32_t *crc);

#endif
