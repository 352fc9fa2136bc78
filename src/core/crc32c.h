// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78; RFC 3720 App. B.4), the
// checksum of TFRecord framing (io/tb_events.h) and of a checkpoint's whole-file
// record (io/file_record.h). zlib only has the IEEE CRC-32.
#ifndef VDMC_CORE_CRC32C_H
#define VDMC_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

// Continues `crc` (0 to start) over n bytes: crc32c(crc32c(0, a), b) == crc32c(0, a b).
uint32_t crc32c_update(uint32_t crc, const void *data, size_t n);
static inline uint32_t crc32c(const void *data, size_t n) { return crc32c_update(0, data, n); }

// TFRecord's masked form, ((crc >> 15) | (crc << 17)) + 0xa282ead8: a CRC stored
// inside data that is itself CRC'd would otherwise checksum to a constant.
uint32_t crc32c_mask(uint32_t crc);

#endif
