// The checksum record (io/file_record.h): its byte layout at the documented offsets
// (a checkpoint's record is the layout from before kinds and skipped ranges, byte for
// byte), that every single-bit flip of the record is caught by its own CRC, and
// file_record_verify on files: a sealed file passes; a flipped data byte, appended or
// cut bytes, a damaged record, a bare HDF5 file (format_version 1), a newer record
// version, another kind and a file shorter than the record each give their own line.
// With skipped ranges (a dataset's): bytes inside them are not covered, every byte
// outside is, malformed ranges are refused, and resealing keeps the layout.
#define _POSIX_C_SOURCE 200809L  // mkdtemp
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/crc32c.h"
#include "core/status.h"
#include "io/file_record.h"

#define FILE_BYTES 3000

static char dir[64], path[128];

static void write_bytes(const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  CHECK(f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "writing %s", path);
}

// Writes b[0, n), verifies it; checks the status and that the message says `want`.
static void expect(const unsigned char *b, size_t n, int status, const char *want, const char *what) {
  write_bytes(b, n);
  int rc = file_record_verify(path, FILE_KIND_CHECKPOINT, "HINT");
  CHECK(rc == status, "%s: status %d, expected %d (%s)", what, rc, status, rc ? vdmc_error_message() : "ok");
  if (want) CHECK(rc && strstr(vdmc_error_message(), want) && strstr(vdmc_error_message(), path),
                  "%s: message '%s' lacks '%s' or the path", what, rc ? vdmc_error_message() : "", want);
}

static uint64_t le(const unsigned char *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

// A 1024-byte userblock whose record skips two ranges of a 5000-byte file.
static void skipped_ranges(void) {
  enum { N = 5000, U = 1024 };
  static unsigned char f[N], b[N];
  for (int i = 0; i < N; i++) f[i] = (unsigned char)(i * 13 + 1);
  const FileRange skip[2] = {{1500, 500}, {3000, 1000}};
  write_bytes(f, N);
  CHECK(file_record_seal(path, FILE_KIND_DATASET, U, skip, 2) == VDMC_OK, "seal with ranges: %s",
        vdmc_error_message());
  FILE *fp = fopen(path, "rb");
  CHECK(fp && fread(f, 1, N, fp) == N, "read back");
  if (fp) fclose(fp);
  CHECK(le(f + 12, 4) == U && le(f + 28, 4) == FILE_KIND_DATASET && le(f + 32, 4) == 2 && le(f + 36, 4) == 0,
        "userblock, kind, count");
  CHECK(le(f + 40, 8) == 1500 && le(f + 48, 8) == 500 && le(f + 56, 8) == 3000 && le(f + 64, 8) == 1000, "ranges");
  uint32_t c = crc32c(f + U, 1500 - U);
  c = crc32c_update(c, f + 2000, 1000);
  c = crc32c_update(c, f + 4000, N - 4000);
  CHECK(le(f + 24, 4) == c, "the CRC covers [U, 1500), [2000, 3000), [4000, N) in order");
  CHECK(le(f + U - 4, 4) == crc32c(f, U - 4), "the record's own CRC at U - 4");
  int rc = file_record_verify(path, FILE_KIND_DATASET, "");
  CHECK(rc == VDMC_OK, "sealed dataset verifies: %s", rc ? vdmc_error_message() : "");
  CHECK(file_record_kind(path) == FILE_KIND_DATASET, "file_record_kind");
  // a damaged record (its own CRC broken): the checkpoint readers' turn, no error left
  memcpy(b, f, N);
  b[U - 1] ^= 0x01;
  write_bytes(b, N);
  CHECK(file_record_kind(path) == FILE_KIND_CHECKPOINT &&
            strstr(vdmc_error_message(), "no message recorded"),
        "file_record_kind of a damaged record: checkpoint, error cleared ('%s')",
        vdmc_error_message());
  write_bytes(f, N);
  // a byte inside each skipped range is not covered; one just outside each edge is
  const int inside[] = {1500, 1999, 3000, 3999}, outside[] = {1499, 2000, 2999, 4000, U, N - 1, 700};
  for (int i = 0; i < 4; i++) {
    memcpy(b, f, N);
    b[inside[i]] ^= 0x40;
    write_bytes(b, N);
    CHECK(file_record_verify(path, FILE_KIND_DATASET, "") == VDMC_OK, "byte %d inside a skipped range", inside[i]);
  }
  for (int i = 0; i < 7; i++) {
    memcpy(b, f, N);
    b[outside[i]] ^= 0x40;
    write_bytes(b, N);
    rc = file_record_verify(path, FILE_KIND_DATASET, "");
    CHECK(rc == VDMC_ERR_IO && strstr(vdmc_error_message(), outside[i] < U ? "fails its own CRC-32C"
                                                                           : "outside its 2 skipped ranges"),
          "byte %d outside the ranges: %s", outside[i], rc ? vdmc_error_message() : "accepted");
  }
  // malformed ranges, each in a record whose own CRC holds
  const struct {
    FileRange s[2];
    const char *why;
  } bad[] = {{{{3000, 10}, {1500, 10}}, "out of order"},  {{{1500, 600}, {2000, 10}}, "overlapping"},
             {{{1500, 0}, {3000, 10}}, "empty"},          {{{100, 10}, {3000, 10}}, "inside the record"},
             {{{1500, 10}, {4990, 11}}, "past the end"},   {{{1500, 10}, {UINT64_MAX, 2}}, "wrapping around"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memcpy(b, f, N);
    FileRecord r = {FILE_RECORD_VERSION, U, N, 0, FILE_KIND_DATASET, 2, bad[i].s};
    file_record_encode(&r, b);
    FileRecord got;
    CHECK(file_record_decode(b, U, &got) != NULL, "decode accepts ranges %s", bad[i].why);
    write_bytes(b, N);
    rc = file_record_verify(path, FILE_KIND_DATASET, "");
    CHECK(rc == VDMC_ERR_IO && strstr(vdmc_error_message(), "skipped ranges are out of order, empty, overlapping"),
          "ranges %s: %s", bad[i].why, rc ? vdmc_error_message() : "accepted");
  }
  FileRecord many = {FILE_RECORD_VERSION, U, N, 0, FILE_KIND_DATASET, 2, skip};
  memcpy(b, f, N);
  file_record_encode(&many, b);
  b[32] = 200;  // more ranges than 1024 bytes hold ((1024 - 44) / 16 = 61)
  memcpy(b + U - 4, (unsigned char[4]){0}, 4);
  uint32_t self = crc32c(b, U - 4);
  for (int i = 0; i < 4; i++) b[U - 4 + i] = (unsigned char)(self >> (8 * i));
  write_bytes(b, N);
  rc = file_record_verify(path, FILE_KIND_DATASET, "");
  CHECK(rc == VDMC_ERR_IO && strstr(vdmc_error_message(), "more skipped ranges than it holds"), "200 ranges: %s",
        rc ? vdmc_error_message() : "accepted");
  CHECK(file_record_bytes(0) == 512 && file_record_bytes(29) == 512 && file_record_bytes(30) == 1024 &&
            file_record_bytes(61) == 1024 && file_record_bytes(62) == 2048 && file_record_bytes((uint64_t)1 << 30) == 0,
        "file_record_bytes: 512 holds 29 ranges, 1024 61, none holds 2^30");
  // a damaged file resealed keeps the layout (file_tamper), in memory too (fuzz targets)
  memcpy(b, f, N);
  b[2500] ^= 1;
  write_bytes(b, N);
  CHECK(file_record_reseal(path) == VDMC_OK && file_record_verify(path, FILE_KIND_DATASET, "") == VDMC_OK,
        "resealed after damage");
  fp = fopen(path, "rb");
  CHECK(fp && fread(b, 1, N, fp) == N, "read back");
  if (fp) fclose(fp);
  CHECK(le(b + 12, 4) == U && le(b + 32, 4) == 2 && le(b + 56, 8) == 3000, "reseal keeps userblock and ranges");
  memcpy(b, f, N);
  b[2600] ^= 1;
  b[20] ^= 1;  // the length field: seal_bytes takes the bytes there are
  file_record_seal_bytes(b, N, FILE_KIND_DATASET);
  write_bytes(b, N);
  CHECK(file_record_verify(path, FILE_KIND_DATASET, "") == VDMC_OK && le(b + 32, 4) == 2,
        "seal_bytes keeps the ranges");
  file_record_seal_bytes(b, 3500, FILE_KIND_DATASET);  // the second range no longer fits: none kept
  write_bytes(b, 3500);
  CHECK(file_record_verify(path, FILE_KIND_DATASET, "") == VDMC_OK && le(b + 12, 4) == 512 && le(b + 32, 4) == 0,
        "seal_bytes of a cut input: a 512-byte record, no ranges");
}

int main(void) {
  snprintf(dir, sizeof dir, "/tmp/vdmc-ckpt-record-XXXXXX");
  CHECK(mkdtemp(dir) != NULL, "mkdtemp");
  snprintf(path, sizeof path, "%s/f.h5", dir);
  unsigned char good[FILE_BYTES], b[FILE_BYTES + 1];
  for (int i = 0; i < FILE_BYTES; i++) good[i] = (unsigned char)(i * 7 + 3);
  memset(good, 0, 512);  // no record there: seal_bytes makes a fresh one
  file_record_seal_bytes(good, FILE_BYTES, FILE_KIND_CHECKPOINT);

  // layout: magic, version, userblock size, length, file CRC, zeros, the record's own CRC
  CHECK(!memcmp(good, "vdmcsum\n", 8), "magic");
  CHECK(le(good + 8, 4) == FILE_RECORD_VERSION && le(good + 12, 4) == 512, "version, userblock size");
  CHECK(le(good + 16, 8) == FILE_BYTES, "length %llu", (unsigned long long)le(good + 16, 8));
  CHECK(le(good + 24, 4) == crc32c(good + 512, FILE_BYTES - 512), "file CRC-32C of bytes 512..");
  // kind 0 (checkpoint) and no skipped ranges: the zeros of the layout before them
  int zeros = 1;
  for (int i = 28; i < 508; i++) zeros &= good[i] == 0;
  CHECK(zeros, "bytes 28..507 are zero");
  CHECK(le(good + 508, 4) == crc32c(good, 508), "record CRC-32C of bytes 0..507");
  FileRecord r;
  CHECK(file_record_decode(good, 512, &r) == NULL && r.length == FILE_BYTES && r.version == FILE_RECORD_VERSION &&
            r.kind == FILE_KIND_CHECKPOINT && r.nskip == 0 && r.userblock == 512,
        "decode of an encoded record");
  int missed = 0;
  for (int bit = 0; bit < 512 * 8; bit++) {
    memcpy(b, good, 512);
    b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
    missed += file_record_decode(b, 512, &r) == NULL;
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
  CHECK(strstr(vdmc_error_message(), "but HINT"), "the bare file's line ends with the hint: %s", vdmc_error_message());
  FileRecord v2 = {FILE_RECORD_VERSION + 1, 512, FILE_BYTES, (uint32_t)le(good + 24, 4), FILE_KIND_CHECKPOINT, 0, NULL};
  memcpy(b, good, FILE_BYTES);
  file_record_encode(&v2, b);
  expect(b, FILE_BYTES, VDMC_ERR_INPUT, "checksum record version 2 but this vdmc reads version 1", "newer record");
  FileRecord ds = {FILE_RECORD_VERSION, 512, FILE_BYTES, (uint32_t)le(good + 24, 4), FILE_KIND_DATASET, 0, NULL};
  file_record_encode(&ds, b);
  expect(b, FILE_BYTES, VDMC_ERR_INPUT, "is a vdmc dataset (its checksum record says so), not a checkpoint",
         "another kind");

  // sealing a file on disk gives the in-memory record
  memcpy(b, good, FILE_BYTES);
  memset(b, 0, 512);
  write_bytes(b, FILE_BYTES);
  CHECK(file_record_seal(path, FILE_KIND_CHECKPOINT, 512, NULL, 0) == VDMC_OK, "seal: %s", vdmc_error_message());
  FILE *f = fopen(path, "rb");
  CHECK(f && fread(b, 1, FILE_BYTES, f) == FILE_BYTES, "read back");
  if (f) fclose(f);
  CHECK(!memcmp(b, good, FILE_BYTES), "file_record_seal equals file_record_seal_bytes");
  CHECK(file_record_start(path) == FILE_START_RECORD, "a sealed file starts with the record");
  b[3] ^= 1;
  write_bytes(b, FILE_BYTES);
  CHECK(file_record_start(path) == FILE_START_OTHER, "a damaged magic is neither record nor HDF5");
  memcpy(b, "\x89HDF\r\n\x1a\n", 8);
  write_bytes(b, FILE_BYTES);
  CHECK(file_record_start(path) == FILE_START_HDF5, "the HDF5 signature at byte 0");
  skipped_ranges();
  unlink(path);
  rmdir(dir);
  return check_finish("file_record");
}
