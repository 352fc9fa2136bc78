// The whole-file checksum record (io/checkpoint_record.h): encode/decode of the
// 512-byte userblock, and sealing and verifying a file through pread/pwrite only:
// verifying must not hand an unchecked byte to HDF5.
#define _POSIX_C_SOURCE 200809L  // pread, pwrite
#include "io/checkpoint_record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/status.h"

#define SELF_CRC_AT (CKPT_RECORD_BYTES - 4)
#define READ_PIECE ((size_t)1 << 22)  // bytes read per pread while checksumming

static const unsigned char HDF5_SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

static void put_le(unsigned char *p, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void ckpt_record_encode(const CkptRecord *r, unsigned char block[CKPT_RECORD_BYTES]) {
  memset(block, 0, CKPT_RECORD_BYTES);
  memcpy(block, CKPT_RECORD_MAGIC, 8);
  put_le(block + 8, r->version, 4);
  put_le(block + 12, CKPT_RECORD_BYTES, 4);
  put_le(block + 16, r->length, 8);
  put_le(block + 24, r->crc, 4);
  put_le(block + SELF_CRC_AT, crc32c(block, SELF_CRC_AT), 4);
}

const char *ckpt_record_decode(const unsigned char block[CKPT_RECORD_BYTES], CkptRecord *r) {
  if (memcmp(block, CKPT_RECORD_MAGIC, 8)) return "no checksum record at byte 0 (bad magic)";
  if (get_le(block + SELF_CRC_AT, 4) != crc32c(block, SELF_CRC_AT))
    return "its checksum record (bytes 0-511) fails its own CRC-32C";
  if (get_le(block + 12, 4) != CKPT_RECORD_BYTES) return "its checksum record names a userblock size other than 512";
  r->version = (uint32_t)get_le(block + 8, 4);
  r->length = get_le(block + 16, 8);
  r->crc = (uint32_t)get_le(block + 24, 4);
  return NULL;
}

int ckpt_record_is_bare_hdf5(const unsigned char *block, size_t n) {
  return n >= sizeof HDF5_SIGNATURE && !memcmp(block, HDF5_SIGNATURE, sizeof HDF5_SIGNATURE);
}

CkptFileStart ckpt_file_start(const char *path) {
  unsigned char head[8];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return CKPT_START_OTHER;
  ssize_t got = pread(fd, head, sizeof head, 0);
  close(fd);
  if (got != (ssize_t)sizeof head) return CKPT_START_OTHER;
  if (!memcmp(head, CKPT_RECORD_MAGIC, 8)) return CKPT_START_RECORD;
  return ckpt_record_is_bare_hdf5(head, sizeof head) ? CKPT_START_HDF5 : CKPT_START_OTHER;
}

void ckpt_record_seal_bytes(unsigned char *data, size_t size) {
  CkptRecord r = {CKPT_RECORD_VERSION, size, crc32c(data + CKPT_RECORD_BYTES, size - CKPT_RECORD_BYTES)};
  ckpt_record_encode(&r, data);
}

// CRC-32C of bytes [CKPT_RECORD_BYTES, length) of fd.
static int checksum_fd(int fd, const char *path, uint64_t length, uint32_t *crc) {
  unsigned char *buf = malloc(READ_PIECE);
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for the checksum buffer", path);
  uint32_t c = 0;
  for (uint64_t at = CKPT_RECORD_BYTES; at < length;) {
    size_t want = length - at < READ_PIECE ? (size_t)(length - at) : READ_PIECE;
    ssize_t got = pread(fd, buf, want, (off_t)at);
    if (got <= 0) {
      int e = errno;
      free(buf);
      return vdmc_fail(VDMC_ERR_IO, "%s: reading byte %llu for the whole-file checksum: %s", path,
                       (unsigned long long)at, got < 0 ? strerror(e) : "unexpected end of file");
    }
    c = crc32c_update(c, buf, (size_t)got);
    at += (uint64_t)got;
  }
  free(buf);
  *crc = c;
  return VDMC_OK;
}

int ckpt_record_seal(const char *path) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open to write the checksum record: %s", path, strerror(errno));
  struct stat sb;
  CkptRecord r = {CKPT_RECORD_VERSION, 0, 0};
  int status = fstat(fd, &sb) ? vdmc_fail(VDMC_ERR_IO, "%s: fstat: %s", path, strerror(errno)) : VDMC_OK;
  if (!status && (uint64_t)sb.st_size < CKPT_RECORD_BYTES)
    status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %lld bytes, no room for the checksum record", path, (long long)sb.st_size);
  if (!status) {
    r.length = (uint64_t)sb.st_size;
    status = checksum_fd(fd, path, r.length, &r.crc);
  }
  unsigned char block[CKPT_RECORD_BYTES];
  ckpt_record_encode(&r, block);
  if (!status && pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
    status = vdmc_fail(VDMC_ERR_IO, "%s: writing the checksum record: %s", path, strerror(errno));
  if (close(fd) && !status) status = vdmc_fail(VDMC_ERR_IO, "%s: close: %s", path, strerror(errno));
  return status;
}

int ckpt_record_verify(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return vdmc_fail(VDMC_ERR_IO, "checkpoint %s cannot be opened: %s", path, strerror(errno));
  unsigned char block[CKPT_RECORD_BYTES];
  struct stat sb;
  CkptRecord r;
  const char *why;
  int status = VDMC_OK;
  uint32_t crc = 0;
  ssize_t got = fstat(fd, &sb) ? -1 : pread(fd, block, sizeof block, 0);
  uint64_t length = (uint64_t)sb.st_size;
  if (got < 0)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s cannot be read: %s", path, strerror(errno));
  else if (ckpt_record_is_bare_hdf5(block, (size_t)got))
    status = vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s has no checksum record (HDF5 data at byte 0: format_version 1, "
                       "or not written by vdmc) but this vdmc reads format_version 2: run `vdmc upgrade %s` to add it",
                       path, path);
  else if (memcmp(block, CKPT_RECORD_MAGIC, got < 8 ? (size_t)got : 8))
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged or not a vdmc checkpoint: no checksum record at byte 0 "
                       "(bad magic)", path);
  else if (got < (ssize_t)sizeof block)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is truncated: %lld bytes, shorter than its %d-byte checksum record",
                       path, (long long)got, CKPT_RECORD_BYTES);
  else if ((why = ckpt_record_decode(block, &r)))
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is damaged or not a vdmc checkpoint: %s", path, why);
  else if (r.version != CKPT_RECORD_VERSION)
    status = vdmc_fail(VDMC_ERR_INPUT, "checkpoint %s has checksum record version %u but this vdmc reads version %d: "
                       "load it with the vdmc version that wrote it", path, r.version, CKPT_RECORD_VERSION);
  else if (r.length != length)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is %s: the file has %llu bytes, its checksum record says %llu", path,
                       length < r.length ? "truncated" : "damaged (bytes were appended)", (unsigned long long)length,
                       (unsigned long long)r.length);
  else if (!(status = checksum_fd(fd, path, length, &crc)) && crc != r.crc)
    status = vdmc_fail(VDMC_ERR_IO, "checkpoint %s is corrupt: CRC-32C of bytes 512-%llu is %08x, its checksum record "
                       "says %08x", path, (unsigned long long)length - 1, crc, r.crc);
  close(fd);
  return status;
}
