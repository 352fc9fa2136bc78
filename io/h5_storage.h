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

// What to add to the chunk addresses HDF5 reports for `dset`'s file to get file
// offsets: its userblock before HDF5 1.14.4 (HDF5 issue 3003), else 0. Once per file.
int h5_chunk_base(hid_t dset, const char *file, uint64_t *base);
// Where the chunk of `dset` that holds element `coord` lies in the file: *offset from
// the file's first byte (base from h5_chunk_base), *bytes stored. VDMC_ERR_INTERNAL
// when the chunk was never written; errors name `file` and `name`.
int h5_chunk_extent(hid_t dset, const hsize_t *coord, uint64_t base, const char *file, const char *name,
                    uint64_t *offset, uint64_t *bytes);

#endif
