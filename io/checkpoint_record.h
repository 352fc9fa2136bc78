// The whole-file checksum record of a checkpoint-format file (docs/checkpoints.md,
// "Checksum record"): the first CKPT_RECORD_BYTES bytes are an HDF5 userblock, which
// HDF5, h5py and h5dump skip, holding a magic, the record version, the file length
// and a CRC-32C of every byte after the userblock. Readers verify it before HDF5
// parses a byte of the file, so damaged metadata cannot reach HDF5's own bugs.
#ifndef VDMC_IO_CHECKPOINT_RECORD_H
#define VDMC_IO_CHECKPOINT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define CKPT_RECORD_BYTES 512  // the userblock: HDF5 takes 0 or a power of two >= 512
#define CKPT_RECORD_VERSION 1
#define CKPT_RECORD_MAGIC "vdmcsum\n"  // 8 bytes at offset 0

// Layout, little-endian: magic [0, 8), version u32 [8, 12), userblock size u32
// [12, 16), file length u64 [16, 24), file CRC-32C u32 [24, 28), zeros up to 508,
// CRC-32C of bytes [0, 508) u32 [508, 512): the record checks itself, so a damaged
// record is told apart from damaged data, and every byte of the file is covered.
typedef struct {
  uint32_t version;  // CKPT_RECORD_VERSION
  uint64_t length;   // bytes of the whole file, record included
  uint32_t crc;      // CRC-32C of bytes [CKPT_RECORD_BYTES, length)
} CkptRecord;

void ckpt_record_encode(const CkptRecord *r, unsigned char block[CKPT_RECORD_BYTES]);
// NULL when `block` holds a record of any version (filled into *r), else what is
// wrong with it ("bad magic", "the record fails its own CRC-32C", ...).
const char *ckpt_record_decode(const unsigned char block[CKPT_RECORD_BYTES], CkptRecord *r);
// 1 when `block` starts with the HDF5 signature: a file without a record (written
// before format_version 2, or not by vdmc).
int ckpt_record_is_bare_hdf5(const unsigned char *block, size_t n);

// What the file at `path` starts with: the record's magic (a checkpoint-format file,
// which no reader may hand to HDF5 before ckpt_record_verify), the HDF5 signature
// (every other vdmc file: none has a userblock), or anything else (unreadable too).
// vdmc info's kind test: HDF5 itself would also find a superblock behind a damaged
// record, and parse it unchecked.
typedef enum { CKPT_START_RECORD, CKPT_START_HDF5, CKPT_START_OTHER } CkptFileStart;
CkptFileStart ckpt_file_start(const char *path);

// In memory: writes the record of data[0, size) into its first CKPT_RECORD_BYTES
// bytes (size >= CKPT_RECORD_BYTES), as ckpt_record_seal does for a file.
void ckpt_record_seal_bytes(unsigned char *data, size_t size);
// Serial: checksums the closed file at `path` and writes its record into the
// userblock (the writer reserved it). Errors name the file.
int ckpt_record_seal(const char *path);
// Serial: VDMC_OK when `path` starts with a valid record whose length and CRC match
// the file. Otherwise one line naming the file and what differs: VDMC_ERR_IO for
// damage (shorter than the record, bad magic, damaged record, length or CRC
// mismatch: a loader falls back to an older checkpoint), VDMC_ERR_INPUT for a file
// without a record (format_version 1) or of a newer record version.
int ckpt_record_verify(const char *path);

#endif
