// FID of samples generated in memory: `vdmc eval RUN --fid --n N` (docs/fid.md). The
// samples are those `vdmc sample` draws for the same request (sample/generate.h); each
// batch goes from the sampler straight into the feature network, nothing is written
// unless keep_h5 asks for the samples file as well.
#ifndef VDMC_EVAL_FID_GENERATE_H
#define VDMC_EVAL_FID_GENERATE_H

#include <mpi.h>

#include "eval/fid_evaluate.h"
#include "sample/generate.h"

// Collective over comm. den is run's network with the weights sampled with, taking
// batches of sample_model_batch(r, P), and r passed sample_request_resolve. Fails
// with one line when the model's images do not fit the feature network or N <
// is_splits. keep_h5 (NULL: none) is written collectively in the format of
// `vdmc sample --h5` (each rank then holds its samples in memory).
int fid_evaluate_generated(FidSetup *s, const Run *run, Denoiser den, const SampleRequest *r, const char *keep_h5,
                           int is_splits, MPI_Comm comm, FidResult *out);

#endif
