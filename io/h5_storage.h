// Declared size against stored size: an HDF5 dataset's dataspace may declare any
// number of elements whose chunks were never written (reads return the fill value),
// so a 20 KB file can declare 2^40 examples or a 10^9-byte config. Readers check
// the declaration against the bytes the file really holds before they allocate or
// loop over it.
#ifndef VDMC_IO_H5_STORAGE_H
#define VDMC_IO_H5_STORAGE_H

#include <hdf5.h>
#include <stdint.h>

// VDMC_OK when the file stores every element of `dset` (for a filtered, e.g.
// compressed, dataset: at least 1 byte per DEFLATE's best ratio, 1032 bytes).
// Otherwise VDMC_ERR_IO: "FILE: NAME declares N elements (B bytes) but the file
// stores only S bytes for it (unwritten or truncated data)".
int h5_check_storage(hid_t dset, const char *file, const char *name);

// Where the chunk of `dset` that holds element `coord` lies in the file: *offset from
// the file's first byte (its userblock included), *bytes stored. VDMC_ERR_INTERNAL
// when the chunk was never written; errors name `file` and `name`.
int h5_chunk_extent(hid_t dset, const hsize_t *coord, const char *file, const char *name, uint64_t *offset,
                    uint64_t *bytes);

#endif
