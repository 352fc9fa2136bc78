// x86 CPU features that decide which OpenBLAS kernels may run (cpuid + xgetbv).
// A vector feature counts only when the OS also saves its register state
// (XCR0), exactly as OpenBLAS's own support_avx()/support_avx512() check.
#ifndef VDMC_CORE_CPU_FEATURES_H
#define VDMC_CORE_CPU_FEATURES_H

#include <stddef.h>

enum {
  CPU_SSE3 = 1u << 0,
  CPU_SSSE3 = 1u << 1,
  CPU_SSE4_1 = 1u << 2,
  CPU_SSE4_2 = 1u << 3,
  CPU_SSE4A = 1u << 4,        // AMD
  CPU_AVX = 1u << 5,          // cpuid AVX and OS saves YMM state
  CPU_FMA = 1u << 6,          // FMA3 (needs AVX)
  CPU_FMA4 = 1u << 7,         // AMD Bulldozer family (needs AVX)
  CPU_AVX2 = 1u << 8,         // needs AVX
  CPU_AVX512F = 1u << 9,      // cpuid AVX512F and OS saves opmask/ZMM state
  CPU_AVX512DQ = 1u << 10,
  CPU_AVX512CD = 1u << 11,
  CPU_AVX512BW = 1u << 12,
  CPU_AVX512VL = 1u << 13,
  CPU_AVX512_BF16 = 1u << 14,
  CPU_OS_YMM = 1u << 15,      // XCR0 bits 1,2
  CPU_OS_ZMM = 1u << 16       // XCR0 bits 5,6,7
};

typedef struct {
  char vendor[13];  // "GenuineIntel", "AuthenticAMD", "HygonGenuine", ... or "" (not x86)
  unsigned bits;    // CPU_* flags
} CpuFeatures;

// Fills *f from cpuid on x86; on other architectures vendor is "" and bits 0.
void cpu_features_detect(CpuFeatures *f);
// The CPU_* bits of this CPU, detected once (thread-safe): for kernels that pick a code
// path by instruction set.
unsigned cpu_features_bits(void);
// Space-separated names of the set flags, e.g. "sse3 ssse3 ... avx2 fma".
void cpu_features_format(const CpuFeatures *f, char *buf, size_t n);
// 1 for AuthenticAMD / HygonGenuine (OpenBLAS picks its Zen kernels there).
int cpu_features_is_amd(const CpuFeatures *f);

#endif
