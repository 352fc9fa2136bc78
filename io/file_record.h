// The checksum record of a vdmc HDF5 file (docs/checkpoints.md, "Checksum record"):
// the file's first bytes are an HDF5 userblock, which HDF5, h5py and h5dump skip,
// holding a magic, the record version, the file length, a CRC-32C of every byte after
// the userblock except the ranges the record lists as skipped, and those ranges.
// Readers verify it before HDF5 parses a byte of the file, so damaged metadata cannot
// reach HDF5's own bugs. Checkpoints skip nothing (512-byte userblock); datasets skip
// their chunks of pixels and labels (docs/data.md), which are gigabytes that no
// parser reads and whose every value is checked or harmless, so a reader checks only
// the metadata HDF5 parses.
#ifndef VDMC_IO_FILE_RECORD_H
#define VDMC_IO_FILE_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define FILE_RECORD_BYTES 512  // the smallest userblock: HDF5 takes 0 or a power of two >= 512
#define FILE_RECORD_MAX_BYTES ((uint32_t)1 << 26)  // the largest userblock a reader accepts
#define FILE_RECORD_VERSION 1
#define FILE_RECORD_MAGIC "vdmcsum\n"  // 8 bytes at offset 0
#define FILE_RECORD_SKIPS_AT 40        // the first skipped range
#define FILE_RECORD_SKIP_BYTES 16      // per skipped range: offset u64, length u64

// Layout, little-endian, in a userblock of U bytes: magic [0, 8), version u32 [8, 12),
// U u32 [12, 16), file length u64 [16, 24), file CRC-32C u32 [24, 28), the file's kind
// u32 [28, 32), the number of skipped ranges S u32 [32, 36), zero u32 [36, 40), S
// ranges of (offset u64, length u64) from byte 40 (sorted, disjoint, each inside [U,
// length)), zeros up to U - 4, CRC-32C of bytes [0, U - 4) u32 [U - 4, U): the record
// checks itself, so a damaged record is told apart from damaged data, and every byte
// outside the skipped ranges is covered. A checkpoint's record (U = 512, kind 0, S =
// 0) is the layout before kinds and ranges existed, byte for byte.
typedef enum { FILE_KIND_CHECKPOINT = 0, FILE_KIND_DATASET = 1, FILE_KIND_COUNT } FileKind;
const char *file_kind_name(FileKind k);  // "checkpoint", "dataset"

typedef struct {
  uint64_t offset, length;
} FileRange;

typedef struct {
  uint32_t version;    // FILE_RECORD_VERSION
  uint32_t userblock;  // U: a power of two in [FILE_RECORD_BYTES, FILE_RECORD_MAX_BYTES]
  uint64_t length;     // bytes of the whole file, record included
  uint32_t crc;        // CRC-32C of bytes [U, length) outside the skipped ranges, in order
  FileKind kind;
  uint32_t nskip;      // S
  const FileRange *skip;  // encode: the S ranges; decode: NULL (file_record_skip reads them)
} FileRecord;

// The smallest userblock that holds a record of `nskip` ranges (0 when none fits).
uint32_t file_record_bytes(uint64_t nskip);
// Writes r (its r->userblock bytes) into block.
void file_record_encode(const FileRecord *r, unsigned char *block);
// NULL when block[0, n) holds a whole well-formed record of any version (filled into
// *r), else what is wrong with it ("bad magic", "fails its own CRC-32C", "skipped
// ranges overlap", an unknown kind, ...). n >= 16 tells the userblock size: a caller
// reads that many.
const char *file_record_decode(const unsigned char *block, size_t n, FileRecord *r);
// The i-th skipped range of a record decoded from `block`.
FileRange file_record_skip(const unsigned char *block, uint32_t i);
// 1 when `block` starts with the HDF5 signature: a file without a record (written
// before format_version 2, or not by vdmc).
int file_record_is_bare_hdf5(const unsigned char *block, size_t n);

// What the file at `path` starts with: the record's magic (a checkpoint or a dataset,
// which no reader may hand to HDF5 before file_record_verify), the HDF5 signature
// (every other vdmc file: none has a userblock), or anything else (unreadable too).
// vdmc info's kind test: HDF5 itself would also find a superblock behind a damaged
// record, and parse it unchecked.
typedef enum { FILE_START_RECORD, FILE_START_HDF5, FILE_START_OTHER } FileStart;
FileStart file_record_start(const char *path);
// The kind the record at the start of a file names (its own CRC checked, the data
// unchecked): what vdmc info and vdmc upgrade dispatch on. A damaged or unreadable
// record gives FILE_KIND_CHECKPOINT, with no error left set: the checkpoint readers
// then name the damage, as every one of them does.
FileKind file_record_kind(const char *path);

// In memory: rewrites the record of data[0, size) as a record of `kind` for its present
// bytes: for a dataset keeping the userblock size and skipped ranges of the record there
// when they are well-formed (its own CRC aside) and fit, else (and for a checkpoint
// always) a 512-byte userblock skipping nothing (size >= FILE_RECORD_BYTES). What a fuzz target does to a mutated input, so
// the mutation reaches the parser behind the record.
void file_record_seal_bytes(unsigned char *data, size_t size, FileKind kind);
// Serial: checksums the closed file at `path` and writes its record, of the
// `userblock` bytes the writer reserved, skipping skip[0, nskip) (sorted, disjoint).
// Errors name the file.
int file_record_seal(const char *path, FileKind kind, uint32_t userblock, const FileRange *skip, uint32_t nskip);
// Serial: file_record_seal of `path` with the kind, userblock size and skipped ranges
// of the record it holds (its own CRC aside): a test tool's damage made to pass the
// record, so the checks behind it are reached.
int file_record_reseal(const char *path);
// Serial: VDMC_OK when `path` starts with a valid record of `kind` whose length and
// CRC match the file. Otherwise one line "KIND PATH ...": VDMC_ERR_IO for damage
// (shorter than the record, bad magic, damaged record, length or CRC mismatch: a
// loader falls back to an older checkpoint), VDMC_ERR_INPUT for a file of another
// kind, without a record (HDF5 at byte 0: the line ends with `bare_hint`, how to make
// one with a record) or of a newer record version.
int file_record_verify(const char *path, FileKind kind, const char *bare_hint);

#endif
