#include "core/cpu_features.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

// xgetbv(0) as raw bytes so no -mxsave is needed; only called when OSXSAVE is set.
static unsigned long long read_xcr0(void) {
  unsigned eax, edx;
  __asm__ __volatile__(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

void cpu_features_detect(CpuFeatures *f) {
  memset(f, 0, sizeof *f);
  unsigned a, b, c, d, max_leaf = __get_cpuid_max(0, NULL);
  if (max_leaf == 0) return;
  __cpuid(0, a, b, c, d);
  memcpy(f->vendor, &b, 4);
  memcpy(f->vendor + 4, &d, 4);
  memcpy(f->vendor + 8, &c, 4);
  f->vendor[12] = '\0';

  __cpuid(1, a, b, c, d);
  unsigned leaf1_ecx = c;
  if (c & bit_SSE3) f->bits |= CPU_SSE3;
  if (c & bit_SSSE3) f->bits |= CPU_SSSE3;
  if (c & bit_SSE4_1) f->bits |= CPU_SSE4_1;
  if (c & bit_SSE4_2) f->bits |= CPU_SSE4_2;
  unsigned long long xcr0 = (c & bit_OSXSAVE) ? read_xcr0() : 0;
  if ((xcr0 & 0x6) == 0x6) f->bits |= CPU_OS_YMM;
  if ((xcr0 & 0xe6) == 0xe6) f->bits |= CPU_OS_ZMM;
  int ymm = (f->bits & CPU_OS_YMM) != 0, zmm = (f->bits & CPU_OS_ZMM) != 0;
  if (ymm && (leaf1_ecx & bit_AVX)) f->bits |= CPU_AVX;
  if ((f->bits & CPU_AVX) && (leaf1_ecx & bit_FMA)) f->bits |= CPU_FMA;

  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    unsigned leaf7_eax = a;
    if ((f->bits & CPU_AVX) && (b & bit_AVX2)) f->bits |= CPU_AVX2;
    if (zmm && (f->bits & CPU_AVX)) {
      if (b & bit_AVX512F) f->bits |= CPU_AVX512F;
      if (b & bit_AVX512DQ) f->bits |= CPU_AVX512DQ;
      if (b & bit_AVX512CD) f->bits |= CPU_AVX512CD;
      if (b & bit_AVX512BW) f->bits |= CPU_AVX512BW;
      if (b & bit_AVX512VL) f->bits |= CPU_AVX512VL;
      if (leaf7_eax >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        if (a & (1u << 5)) f->bits |= CPU_AVX512_BF16;  // CPUID.(7,1):EAX[5]
      }
    }
  }
  if (__get_cpuid_max(0x80000000u, NULL) >= 0x80000001u) {
    __cpuid(0x80000001u, a, b, c, d);
    if (c & (1u << 6)) f->bits |= CPU_SSE4A;
    if ((f->bits & CPU_AVX) && (c & (1u << 16))) f->bits |= CPU_FMA4;
  }
}
#else
void cpu_features_detect(CpuFeatures *f) { memset(f, 0, sizeof *f); }
#endif

static const struct {
  unsigned bit;
  const char *name;
} feature_names[] = {
    {CPU_SSE3, "sse3"},         {CPU_SSSE3, "ssse3"},       {CPU_SSE4_1, "sse4_1"},
    {CPU_SSE4_2, "sse4_2"},     {CPU_SSE4A, "sse4a"},       {CPU_AVX, "avx"},
    {CPU_FMA, "fma"},           {CPU_FMA4, "fma4"},         {CPU_AVX2, "avx2"},
    {CPU_AVX512F, "avx512f"},   {CPU_AVX512DQ, "avx512dq"}, {CPU_AVX512CD, "avx512cd"},
    {CPU_AVX512BW, "avx512bw"}, {CPU_AVX512VL, "avx512vl"}, {CPU_AVX512_BF16, "avx512_bf16"},
    {CPU_OS_YMM, "os:ymm"},     {CPU_OS_ZMM, "os:zmm"},
};

void cpu_features_format(const CpuFeatures *f, char *buf, size_t n) {
  size_t used = 0;
  if (n) buf[0] = '\0';
  for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++) {
    if (!(f->bits & feature_names[i].bit)) continue;
    int w = snprintf(buf + used, n > used ? n - used : 0, "%s%s", used ? " " : "",
                     feature_names[i].name);
    if (w < 0 || (size_t)w >= n - used) return;  // truncated: keep what fits
    used += (size_t)w;
  }
}

int cpu_features_is_amd(const CpuFeatures *f) {
  return !strcmp(f->vendor, "AuthenticAMD") || !strcmp(f->vendor, "HygonGenuine");
}

static unsigned cached_bits;
static pthread_once_t cached_once = PTHREAD_ONCE_INIT;

static void detect_cached(void) {
  CpuFeatures f;
  cpu_features_detect(&f);
  cached_bits = f.bits;
}

unsigned cpu_features_bits(void) {
  pthread_once(&cached_once, detect_cached);
  return cached_bits;
}
