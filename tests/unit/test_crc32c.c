// CRC-32C against published vectors: the standard check value of "123456789"
// (0xE3069283) and the five of RFC 3720 App. B.4; incremental updates equal one pass;
// the TFRecord mask against values worked out by hand from its definition; the
// 8-bytes-a-step tables against the bit-by-bit definition at every length and
// alignment that reaches both the 8-byte loop and the byte tail.
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "core/crc32c.h"

// The definition: one bit at a time, reflected polynomial 0x82F63B78.
static uint32_t crc32c_bitwise(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

int main(void) {
  CHECK(crc32c("123456789", 9) == 0xE3069283u, "check value 0x%08x", crc32c("123456789", 9));
  CHECK(crc32c("", 0) == 0, "empty input");
  unsigned char buf[48];
  memset(buf, 0, 32);
  CHECK(crc32c(buf, 32) == 0x8A9136AAu, "RFC 3720 32 zeros: 0x%08x", crc32c(buf, 32));
  memset(buf, 0xff, 32);
  CHECK(crc32c(buf, 32) == 0x62A8AB43u, "RFC 3720 32 x 0xff: 0x%08x", crc32c(buf, 32));
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)i;
  CHECK(crc32c(buf, 32) == 0x46DD794Eu, "RFC 3720 incrementing: 0x%08x", crc32c(buf, 32));
  uint32_t split = crc32c_update(crc32c(buf, 13), buf + 13, 19);
  CHECK(split == crc32c(buf, 32), "incremental 13 + 19 bytes: 0x%08x", split);
  for (int i = 0; i < 32; i++) buf[i] = (unsigned char)(31 - i);
  CHECK(crc32c(buf, 32) == 0x113FDB5Cu, "RFC 3720 decrementing: 0x%08x", crc32c(buf, 32));
  // RFC 3720 B.4: an iSCSI SCSI Read (10) command PDU
  static const unsigned char pdu[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
      0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  CHECK(crc32c(pdu, 48) == 0xD9963A56u, "RFC 3720 read PDU: 0x%08x", crc32c(pdu, 48));
  // mask: rotate right by 15, add 0xa282ead8 (mod 2^32)
  CHECK(crc32c_mask(0) == 0xa282ead8u, "mask(0)");
  CHECK(crc32c_mask(0x00008000u) == 0xa282ead9u, "mask(bit 15 -> bit 0)");
  CHECK(crc32c_mask(0x00000001u) == 0xa284ead8u, "mask(bit 0 -> bit 17)");
  CHECK(crc32c_mask(0xffffffffu) == 0xa282ead7u, "mask(all ones) wraps");
  unsigned char big[256 + 8];
  uint32_t x = 12345;
  for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 24);
  int bad = 0;
  for (size_t at = 0; at < 8; at++)
    for (size_t n = 0; n <= 256; n++) bad += crc32c(big + at, n) != crc32c_bitwise(big + at, n);
  CHECK(bad == 0, "%d of 2056 (offset, length) pairs differ from the bitwise definition", bad);
  return check_finish("crc32c");
}
