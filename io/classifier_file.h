// The classifier's weights file (models/classifier.h is the network): vdmc_kind
// "classifier", format_version 1: /params float32 [total] (the flat buffer),
// attributes H, W, C, K, width, architecture (a text description), params_crc32,
// test_accuracy (-1 when not measured). Written serially through the output policy.
#ifndef VDMC_IO_CLASSIFIER_FILE_H
#define VDMC_IO_CLASSIFIER_FILE_H

#include <stdint.h>

#include "models/classifier.h"

int classifier_save(const char *path, const Classifier *m, const float *params, double test_accuracy);
// Reads the config, creates *m for max_batch and returns the parameters (malloc'd
// flat buffer, vdmc_free_floats) and their CRC32 (the feature-network identity).
int classifier_load(const char *path, Classifier *m, int max_batch, float **params, uint32_t *crc);

#endif
