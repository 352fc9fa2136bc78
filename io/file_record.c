// The checksum record (io/file_record.h): encode/decode of the userblock, and sealing
// and verifying a file through pread/pwrite only: verifying must not hand an unchecked
// byte to HDF5.
#define _POSIX_C_SOURCE 200809L  // pread, pwrite
#include "io/file_record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c.h"
#include "core/status.h"

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

const char *file_kind_name(FileKind k) {
  return k == FILE_KIND_DATASET ? "dataset" : "checkpoint";
}

static uint64_t max_skips(uint32_t userblock) {
  return (userblock - FILE_RECORD_SKIPS_AT - 4) / FILE_RECORD_SKIP_BYTES;
}

uint32_t file_record_bytes(uint64_t nskip) {
  for (uint32_t u = FILE_RECORD_BYTES; u && u <= FILE_RECORD_MAX_BYTES; u *= 2)
    if (max_skips(u) >= nskip) return u;
  return 0;
}

void file_record_encode(const FileRecord *r, unsigned char *block) {
  uint32_t u = r->userblock;
  memset(block, 0, u);
  memcpy(block, FILE_RECORD_MAGIC, 8);
  put_le(block + 8, r->version, 4);
  put_le(block + 12, u, 4);
  put_le(block + 16, r->length, 8);
  put_le(block + 24, r->crc, 4);
  put_le(block + 28, r->kind, 4);
  put_le(block + 32, r->nskip, 4);
  for (uint32_t i = 0; i < r->nskip; i++) {
    put_le(block + FILE_RECORD_SKIPS_AT + FILE_RECORD_SKIP_BYTES * i, r->skip[i].offset, 8);
    put_le(block + FILE_RECORD_SKIPS_AT + FILE_RECORD_SKIP_BYTES * i + 8, r->skip[i].length, 8);
  }
  put_le(block + u - 4, crc32c(block, u - 4), 4);
}

FileRange file_record_skip(const unsigned char *block, uint32_t i) {
  const unsigned char *p = block + FILE_RECORD_SKIPS_AT + (size_t)FILE_RECORD_SKIP_BYTES * i;
  return (FileRange){get_le(p, 8), get_le(p + 8, 8)};
}

// The userblock size the header names, 0 when it is not one a record may have.
static uint32_t header_userblock(const unsigned char *block) {
  uint64_t u = get_le(block + 12, 4);
  if (u < FILE_RECORD_BYTES || u > FILE_RECORD_MAX_BYTES || (u & (u - 1))) return 0;
  return (uint32_t)u;
}

// The fields after the magic, the skipped ranges checked against them (the record's
// own CRC is the caller's): NULL or what is wrong.
static const char *decode_fields(const unsigned char *block, FileRecord *r) {
  r->userblock = header_userblock(block);
  if (!r->userblock) return "its checksum record names a userblock size that is not a power of two in 512..2^26";
  r->version = (uint32_t)get_le(block + 8, 4);
  r->length = get_le(block + 16, 8);
  r->crc = (uint32_t)get_le(block + 24, 4);
  uint64_t kind = get_le(block + 28, 4);
  r->kind = kind < FILE_KIND_COUNT ? (FileKind)kind : FILE_KIND_CHECKPOINT;
  r->nskip = (uint32_t)get_le(block + 32, 4);
  r->skip = NULL;
  if (kind >= FILE_KIND_COUNT) return "its checksum record names an unknown kind of file";
  if (get_le(block + 36, 4)) return "its checksum record has non-zero bytes 36-39";
  if (r->nskip > max_skips(r->userblock)) return "its checksum record lists more skipped ranges than it holds";
  uint64_t next = r->userblock;  // the first byte a range may start at
  for (uint32_t i = 0; i < r->nskip; i++) {
    FileRange s = file_record_skip(block, i);
    if (s.offset < next || s.length == 0 || s.offset > r->length || s.length > r->length - s.offset)
      return "its checksum record's skipped ranges are out of order, empty, overlapping or outside the file";
    next = s.offset + s.length;
  }
  return NULL;
}

const char *file_record_decode(const unsigned char *block, size_t n, FileRecord *r) {
  if (n < 16 || memcmp(block, FILE_RECORD_MAGIC, 8)) return "no checksum record at byte 0 (bad magic)";
  uint32_t u = header_userblock(block);
  if (u && n < u) return "its checksum record is cut short";
  // The record's own CRC first: a flipped size or count is a damaged record, not a
  // strange one.
  if (u && get_le(block + u - 4, 4) != crc32c(block, u - 4)) return "its checksum record fails its own CRC-32C";
  return decode_fields(block, r);
}

int file_record_is_bare_hdf5(const unsigned char *block, size_t n) {
  return n >= sizeof HDF5_SIGNATURE && !memcmp(block, HDF5_SIGNATURE, sizeof HDF5_SIGNATURE);
}

FileStart file_record_start(const char *path) {
  unsigned char head[8];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return FILE_START_OTHER;
  ssize_t got = pread(fd, head, sizeof head, 0);
  close(fd);
  if (got != (ssize_t)sizeof head) return FILE_START_OTHER;
  if (!memcmp(head, FILE_RECORD_MAGIC, 8)) return FILE_START_RECORD;
  return file_record_is_bare_hdf5(head, sizeof head) ? FILE_START_HDF5 : FILE_START_OTHER;
}

// Calls f(piece, bytes, ctx) on the bytes [userblock, length) outside the skipped
// ranges of `block`, in order, through read_at(buf, bytes, at, src); VDMC_OK or the
// reader's error.
typedef int (*ReadAt)(unsigned char *buf, size_t want, uint64_t at, void *src);

static int covered_crc(const FileRecord *r, const unsigned char *block, ReadAt read_at, void *src,
                       unsigned char *buf, uint32_t *crc) {
  uint32_t c = 0;
  uint64_t at = r->userblock;
  for (uint32_t i = 0; i <= r->nskip; i++) {
    FileRange s = i < r->nskip ? file_record_skip(block, i) : (FileRange){r->length, 0};
    while (at < s.offset) {
      size_t want = s.offset - at < READ_PIECE ? (size_t)(s.offset - at) : READ_PIECE;
      int status = read_at(buf, want, at, src);
      if (status) return status;
      c = crc32c_update(c, buf, want);
      at += want;
    }
    at = s.offset + s.length;
  }
  *crc = c;
  return VDMC_OK;
}

typedef struct {
  int fd;
  const char *path;
} FdSource;

static int read_fd(unsigned char *buf, size_t want, uint64_t at, void *src) {
  FdSource *s = src;
  for (size_t done = 0; done < want;) {
    ssize_t got = pread(s->fd, buf + done, want - done, (off_t)(at + done));
    if (got <= 0)
      return vdmc_fail(VDMC_ERR_IO, "%s: reading byte %llu for the checksum: %s", s->path,
                       (unsigned long long)(at + done), got < 0 ? strerror(errno) : "unexpected end of file");
    done += (size_t)got;
  }
  return VDMC_OK;
}

static int read_memory(unsigned char *buf, size_t want, uint64_t at, void *src) {
  memcpy(buf, (const unsigned char *)src + at, want);
  return VDMC_OK;
}

// The CRC of a file's covered bytes, and the record holding it encoded into block.
static int seal_into(FileRecord *r, unsigned char *block, ReadAt read_at, void *src) {
  file_record_encode(r, block);  // the ranges, where covered_crc reads them
  unsigned char *buf = malloc(READ_PIECE);
  if (!buf) return vdmc_fail(VDMC_ERR_MEMORY, "out of memory for the checksum buffer");
  int status = covered_crc(r, block, read_at, src, buf, &r->crc);
  free(buf);
  if (!status) file_record_encode(r, block);
  return status;
}

// The skipped ranges of a record (block, holding r's) copied out, since sealing rewrites
// the block they are read from; NULL for none. Aborts without memory (test tools only
// call it in memory; file_record_seal's callers pass their own ranges).
static FileRange *copy_skips(const unsigned char *block, const FileRecord *r) {
  if (!r->nskip) return NULL;
  FileRange *skip = malloc(r->nskip * sizeof *skip);
  if (!skip) abort();
  for (uint32_t i = 0; i < r->nskip; i++) skip[i] = file_record_skip(block, i);
  return skip;
}

void file_record_seal_bytes(unsigned char *data, size_t size, FileKind kind) {
  FileRecord r = {FILE_RECORD_VERSION, FILE_RECORD_BYTES, size, 0, kind, 0, NULL}, there;
  // A checkpoint's record has one layout (512 bytes, nothing skipped); a dataset's is
  // the input's own, since its userblock size and ranges depend on the file.
  uint32_t u = kind == FILE_KIND_DATASET && !memcmp(data, FILE_RECORD_MAGIC, 8) ? header_userblock(data) : 0;
  if (u && u <= size) {
    put_le(data + 16, size, 8);  // the ranges must lie in the bytes there are
    put_le(data + 28, kind, 4);
    if (!decode_fields(data, &there)) {
      r.userblock = u;
      r.nskip = there.nskip;
    }
  }
  FileRange *skip = copy_skips(data, &r);
  r.skip = skip;
  unsigned char *block = malloc(r.userblock);
  if (!block || seal_into(&r, block, read_memory, data)) abort();
  memcpy(data, block, r.userblock);
  free(block);
  free(skip);
}

int file_record_seal(const char *path, FileKind kind, uint32_t userblock, const FileRange *skip, uint32_t nskip) {
  int fd = open(path, O_RDWR);
  if (fd < 0) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open to write the checksum record: %s", path, strerror(errno));
  struct stat sb;
  FileRecord r = {FILE_RECORD_VERSION, userblock, 0, 0, kind, nskip, skip}, check;
  unsigned char *block = malloc(userblock);
  int status = !block ? vdmc_fail(VDMC_ERR_MEMORY, "%s: out of memory for the checksum record", path)
               : fstat(fd, &sb) ? vdmc_fail(VDMC_ERR_IO, "%s: fstat: %s", path, strerror(errno))
                                : VDMC_OK;
  if (!status && (uint64_t)sb.st_size < userblock)
    status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %lld bytes, no room for the checksum record", path, (long long)sb.st_size);
  if (!status) {
    r.length = (uint64_t)sb.st_size;
    if (nskip > max_skips(userblock))
      status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %u skipped ranges do not fit a %u-byte record", path, nskip, userblock);
  }
  if (!status) {
    file_record_encode(&r, block);  // the ranges as a reader will check them
    const char *why = decode_fields(block, &check);
    if (why) status = vdmc_fail(VDMC_ERR_INTERNAL, "%s: %s", path, why);
  }
  FdSource src = {fd, path};
  if (!status) status = seal_into(&r, block, read_fd, &src);
  if (!status && pwrite(fd, block, userblock, 0) != (ssize_t)userblock)
    status = vdmc_fail(VDMC_ERR_IO, "%s: writing the checksum record: %s", path, strerror(errno));
  if (close(fd) && !status) status = vdmc_fail(VDMC_ERR_IO, "%s: close: %s", path, strerror(errno));
  free(block);
  return status;
}

int file_record_reseal(const char *path) {
  unsigned char head[16];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return vdmc_fail(VDMC_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  uint32_t u = pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head ? header_userblock(head) : 0;
  unsigned char *block = u ? malloc(u) : NULL;
  FileRecord r;
  int ok = block && pread(fd, block, u, 0) == (ssize_t)u && !decode_fields(block, &r);
  close(fd);
  // ranges past a file that shrank (its tool freed the space they were in) are dropped
  struct stat sb;
  if (ok && r.nskip && !stat(path, &sb)) {
    FileRange last = file_record_skip(block, r.nskip - 1);
    if (last.offset + last.length > (uint64_t)sb.st_size) r.nskip = 0;
  }
  FileRange *skip = ok ? copy_skips(block, &r) : NULL;
  int status = ok ? file_record_seal(path, r.kind, u, skip, r.nskip)
                  : vdmc_fail(VDMC_ERR_INPUT, "%s: no readable checksum record to rewrite", path);
  free(skip);
  free(block);
  return status;
}

// Reads and decodes the record of the open file fd (length bytes) into *block (the
// caller frees it) and *r; `what` and `path` start every error line ("checkpoint F").
static int read_record(int fd, uint64_t length, const char *what, const char *path, const char *bare_hint,
                       unsigned char **block, FileRecord *r) {
  unsigned char head[FILE_RECORD_BYTES];
  const char *why;
  uint32_t u = 0;
  *block = NULL;
  ssize_t got = pread(fd, head, sizeof head, 0);
  if (got < 0) return vdmc_fail(VDMC_ERR_IO, "%s %s cannot be read: %s", what, path, strerror(errno));
  if (file_record_is_bare_hdf5(head, (size_t)got))
    return vdmc_fail(VDMC_ERR_INPUT, "%s %s has no checksum record (HDF5 data at byte 0: format_version 1, or not "
                     "written by vdmc) but %s", what, path, bare_hint);
  if (memcmp(head, FILE_RECORD_MAGIC, got < 8 ? (size_t)got : 8))
    return vdmc_fail(VDMC_ERR_IO, "%s %s is damaged or not a vdmc %s: no checksum record at byte 0 (bad magic)",
                     what, path, what);
  if (got < (ssize_t)sizeof head || ((u = header_userblock(head)) && length < u))
    return vdmc_fail(VDMC_ERR_IO, "%s %s is truncated: %llu bytes, shorter than its %u-byte checksum record", what,
                     path, (unsigned long long)length, u ? u : FILE_RECORD_BYTES);
  if (!u) return vdmc_fail(VDMC_ERR_IO, "%s %s is damaged or not a vdmc %s: %s", what, path, what,
                           file_record_decode(head, sizeof head, r));
  if (!(*block = malloc(u)))
    return vdmc_fail(VDMC_ERR_MEMORY, "%s %s: out of memory for its %u-byte checksum record", what, path, u);
  if (pread(fd, *block, u, 0) != (ssize_t)u)
    return vdmc_fail(VDMC_ERR_IO, "%s %s cannot be read: %s", what, path, strerror(errno));
  if ((why = file_record_decode(*block, u, r)))
    return vdmc_fail(VDMC_ERR_IO, "%s %s is damaged or not a vdmc %s: %s", what, path, what, why);
  return VDMC_OK;
}

FileKind file_record_kind(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return FILE_KIND_CHECKPOINT;
  struct stat sb;
  unsigned char *block = NULL;
  FileRecord r;
  int status = fstat(fd, &sb) ? VDMC_ERR_IO
                              : read_record(fd, (uint64_t)sb.st_size, "file", path, "", &block, &r);
  free(block);
  close(fd);
  if (status) vdmc_clear_error();  // read_record's line: the checkpoint reader says it again
  return status ? FILE_KIND_CHECKPOINT : (FileKind)r.kind;
}

int file_record_verify(const char *path, FileKind kind, const char *bare_hint) {
  const char *what = file_kind_name(kind);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return vdmc_fail(VDMC_ERR_IO, "%s %s cannot be opened: %s", what, path, strerror(errno));
  struct stat sb;
  unsigned char *block = NULL, *buf = NULL;
  FileRecord r;
  uint32_t crc = 0;
  int status = fstat(fd, &sb) ? vdmc_fail(VDMC_ERR_IO, "%s %s: fstat: %s", what, path, strerror(errno)) : VDMC_OK;
  uint64_t length = (uint64_t)sb.st_size;
  if (!status) status = read_record(fd, length, what, path, bare_hint, &block, &r);
  if (status)
    ;
  else if (r.version != FILE_RECORD_VERSION)
    status = vdmc_fail(VDMC_ERR_INPUT, "%s %s has checksum record version %u but this vdmc reads version %d: "
                       "load it with the vdmc version that wrote it", what, path, r.version, FILE_RECORD_VERSION);
  else if (r.kind != kind)
    status = vdmc_fail(VDMC_ERR_INPUT, "%s %s is a vdmc %s (its checksum record says so), not a %s", what, path,
                       file_kind_name(r.kind), what);
  else if (r.length != length)
    status = vdmc_fail(VDMC_ERR_IO, "%s %s is %s: the file has %llu bytes, its checksum record says %llu", what, path,
                       length < r.length ? "truncated" : "damaged (bytes were appended)", (unsigned long long)length,
                       (unsigned long long)r.length);
  else if (!(buf = malloc(READ_PIECE)))
    status = vdmc_fail(VDMC_ERR_MEMORY, "%s %s: out of memory for the checksum buffer", what, path);
  else {
    FdSource src = {fd, path};
    status = covered_crc(&r, block, read_fd, &src, buf, &crc);
    char skipped[64] = "";
    if (r.nskip) snprintf(skipped, sizeof skipped, " outside its %u skipped ranges", r.nskip);
    if (!status && crc != r.crc)
      status = vdmc_fail(VDMC_ERR_IO, "%s %s is corrupt: CRC-32C of bytes %u-%llu%s is %08x, its checksum record "
                         "says %08x", what, path, r.userblock, (unsigned long long)length - 1, skipped, crc, r.crc);
  }
  free(buf);
  free(block);
  close(fd);
  return status;
}
