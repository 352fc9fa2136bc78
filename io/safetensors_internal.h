// Shared by the safetensors reader's files (not part of the API).
#ifndef VDMC_IO_SAFETENSORS_INTERNAL_H
#define VDMC_IO_SAFETENSORS_INTERNAL_H

#include "io/safetensors.h"

// Parses the n header bytes into sf->tensors and sf->meta (safetensors_header.c).
int safetensors_parse_header(SafetensorsFile *sf, const char *text, size_t n);

#endif
