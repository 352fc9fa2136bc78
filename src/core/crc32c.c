// Table CRC-32C, slicing by 8: eight 256-entry tables let one step fold 8 bytes, so
// a whole checkpoint (io/file_record.c, gigabytes for large models) costs about
// a fifth of the byte-at-a-time loop; the short TFRecord frames use the same code.
#include "core/crc32c.h"

#include <pthread.h>

static uint32_t table[8][256];  // table[k][b]: CRC of byte b followed by k zero bytes
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[0][i] = c;
  }
  for (int k = 1; k < 8; k++)
    for (int i = 0; i < 256; i++) table[k][i] = (table[k - 1][i] >> 8) ^ table[0][table[k - 1][i] & 0xff];
}

// Little-endian load, whatever the host: the tables assume the first byte is lowest.
static uint64_t load_le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

uint32_t crc32c_update(uint32_t crc, const void *data, size_t n) {
  pthread_once(&table_once, build_table);
  const unsigned char *p = data;
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v = load_le64(p) ^ crc;
    crc = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^
          table[4][(v >> 24) & 0xff] ^ table[3][(v >> 32) & 0xff] ^ table[2][(v >> 40) & 0xff] ^
          table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
  }
  for (; n; n--, p++) crc = table[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
