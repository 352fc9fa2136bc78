// The whole-file checksum record (io/checkpoint_record.h): its byte layout at the
// documented offsets, that every single-bit flip of the record is caught by its own
// CRC, and ckpt_record_verify on files: a sealed file passes; a flipped data byte,
// appended or cut bytes, a damaged record, a bare HDF5 file (format_version 1), a
// newer record version and a file shorter than the record each give their own line.
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/crc32c.h"
#include "core/status.h"
#include "io/checkpoint_record.h"

#define FILE_BYTES 3000

static char dir[64], path[128];

static void write_bytes(const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "writing %s", path);
}

// Writes b[0, n), verifies it; checks the status and that the message says `want`.
static void expect(const unsigned char *b, size_t n, int status, const char *want, const char *what) {
  write_bytes(b, n);
  int rc = ckpt_record_verify(path);
  CHECK(rc == status, "%s: status %d, expected %d (%s)", what, rc, status, rc ? vdmc_error_message() : "ok");
  if (want) CHECK(rc && strstr(vdmc_error_message(), want) && strstr(vdmc_error_message(), path),
                  "%s: message '%s' lacks '%s' or the path", what, rc ? vdmc_error_message() : "", want);
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/vdmc-ckpt-record-XXXXXX");
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  snprintf(path, sizeof path, "%s/f.h5", dir);
  unsigned char good[FILE_BYTES], b[FILE_BYTES + 1];
  for (int i = 0; i < FILE_BYTES; i++) good[i] = (unsigned char)(i * 7 + 3);
  ckpt_record_seal_bytes(good, FILE_BYTES);

  // layout: magic, version, userblock size, length, file CRC, zeros, the record's own CRC
  CHECK(!memcmp(good, "vdmcsum\n", 8), "magic");
  CHECK(le(good + 8, 4) == CKPT_RECORD_VERSION && le(good + 12, 4) == 512, "version, userblock size");
  CHECK(le(good + 16, 8) == FILE_BYTES, "length %llu", (unsigned long long)le(good + 16, 8));
  CHECK(le(good + 24, 4) == crc32c(good + 512, FILE_BYTES - 512), "file CRC-32C of bytes 512..");
  int zeros = 1;
  for (int i = 28; i < 508; i++) zeros &= good[i] == 0;
  CHECK(zeros, "bytes 28..507 are zero");
  CHECK(le(good + 508, 4) == crc32c(good, 508), "record CRC-32C of bytes 0..507");
  CkptRecord r;
  CHECK(ckpt_record_decode(good, &r) == NULL && r.length == FILE_BYTES && r.version == CKPT_RECORD_VERSION,
        "decode of an encoded record");
  int missed = 0;
  for (int bit = 0; bit < 512 * 8; bit++) {
    memcpy(b, good, 512);
    b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    missed += ckpt_record_decode(b, &r) == NULL;
  }
  CHECK(missed == 0, "%d of 4096 single-bit flips of the record decode as valid", missed);

  expect(good, FILE_BYTES, VDMC_OK, NULL, "sealed file");
  memcpy(b, good, FILE_BYTES);
  b[2000] ^= 0x10;
  expect(b, FILE_BYTES, VDMC_ERR_IO, "is corrupt: CRC-32C of bytes 512-2999", "flipped data byte");
  memcpy(b, good, FILE_BYTES);
  b[FILE_BYTES] = 0;
  expect(b, FILE_BYTES + 1, VDMC_ERR_IO, "bytes were appended", "one byte appended");
  expect(good, FILE_BYTES - 100, VDMC_ERR_IO, "the file has 2900 bytes, its checksum record says 3000", "cut");
  expect(good, 100, VDMC_ERR_IO, "shorter than its 512-byte checksum record", "shorter than the record");
  expect(good, 0, VDMC_ERR_IO, "shorter than its 512-byte checksum record", "empty file");
  memcpy(b, good, FILE_BYTES);
  b[17] ^= 1;
  expect(b, FILE_BYTES, VDMC_ERR_IO, "fails its own CRC-32C", "damaged record");
  b[0] = 'X';
  expect(b, FILE_BYTES, VDMC_ERR_IO, "bad magic", "damaged magic");
  memcpy(b, good, FILE_BYTES);
  memcpy(b, "\x89HDF\r\n\x1a\n", 8);
  expect(b, FILE_BYTES, VDMC_ERR_INPUT, "has no checksum record (HDF5 data at byte 0", "bare HDF5 file");
  CkptRecord v2 = {CKPT_RECORD_VERSION + 1, FILE_BYTES, (uint32_t)le(good + 24, 4)};
  memcpy(b, good, FILE_BYTES);
  ckpt_record_encode(&v2, b);
  expect(b, FILE_BYTES, VDMC_ERR_INPUT, "checksum record version 2 but this vdmc reads version 1", "newer record");

  // sealing a file on disk gives the in-memory record
  memcpy(b, good, FILE_BYTES);
  memset(b, 0, 512);
  write_bytes(b, FILE_BYTES);
  CHECK(ckpt_record_seal(path) == VDMC_OK, "seal: %s", vdmc_error_message());
  FILE *f = fopen(path, "rb");
  CHECK(f && fread(b, 1, FILE_BYTES, f) == FILE_BYTES, "read back");
  if (f) fclose(f);
  CHECK(!memcmp(b, good, FILE_BYTES), "ckpt_record_seal equals ckpt_record_seal_bytes");
  CHECK(ckpt_file_start(path) == CKPT_START_RECORD, "a sealed file starts with the record");
  b[3] ^= 1;
  write_bytes(b, FILE_BYTES);
  CHECK(ckpt_file_start(path) == CKPT_START_OTHER, "a damaged magic is neither record nor HDF5");
  memcpy(b, "\x89HDF\r\n\x1a\n", 8);
  write_bytes(b, FILE_BYTES);
  CHECK(ckpt_file_start(path) == CKPT_START_HDF5, "the HDF5 signature at byte 0");
  unlink(path);
  rmdir(dir);
  return check_finish("ckpt_record");
}
