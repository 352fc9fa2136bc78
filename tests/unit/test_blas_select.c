// BLAS core selection (pure decision table), CPU feature detection against
// /proc/cpuinfo, and the sgemm self-check on this machine.
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "blas/blas_select.h"
#include "blas/blas_startup.h"
#include "check.h"
#include "core/status.h"

enum {
  SSE = CPU_SSE3 | CPU_SSSE3 | CPU_SSE4_1 | CPU_SSE4_2,
  AVX = SSE | CPU_AVX | CPU_OS_YMM,
  AVX2 = AVX | CPU_AVX2 | CPU_FMA,
  AVX512 = AVX2 | CPU_OS_ZMM | CPU_AVX512F | CPU_AVX512DQ | CPU_AVX512CD | CPU_AVX512BW |
           CPU_AVX512VL
};

static const struct {
  const char *what;
  const char *vendor;
  unsigned bits;
  const char *loaded, *user;
  int reexec_done, cooperlake_ok;
  BlasAction action;
  const char *target;
} table[] = {
    {"new Xeon picked Prescott", "GenuineIntel", AVX512, "Prescott", NULL, 0, 0, BLAS_REEXEC, "SkylakeX"},
    {"Sandybridge on AVX-512", "GenuineIntel", AVX512, "Sandybridge", NULL, 0, 0, BLAS_REEXEC, "SkylakeX"},
    {"BF16, 0.3.21 cannot force Cooperlake", "GenuineIntel", AVX512 | CPU_AVX512_BF16, "Prescott",
     NULL, 0, 0, BLAS_REEXEC, "SkylakeX"},
    {"BF16, newer OpenBLAS", "GenuineIntel", AVX512 | CPU_AVX512_BF16, "Prescott", NULL, 0, 1,
     BLAS_REEXEC, "Cooperlake"},
    {"Cooperlake autodetected is kept", "GenuineIntel", AVX512 | CPU_AVX512_BF16, "Cooperlake",
     NULL, 0, 0, BLAS_KEEP, "SkylakeX"},
    {"Zen on Zen3", "AuthenticAMD", AVX2 | CPU_SSE4A, "Zen", NULL, 0, 0, BLAS_KEEP, "Zen"},
    {"Haswell on Zen3 is same tier", "AuthenticAMD", AVX2 | CPU_SSE4A, "Haswell", NULL, 0, 0,
     BLAS_KEEP, "Zen"},
    {"Hygon is AMD", "HygonGenuine", AVX2, "Prescott", NULL, 0, 0, BLAS_REEXEC, "Zen"},
    {"Intel AVX2 picked Prescott", "GenuineIntel", AVX2, "Prescott", NULL, 0, 0, BLAS_REEXEC, "Haswell"},
    {"Xeon Phi (no BW/VL) gets Haswell", "GenuineIntel", AVX2 | CPU_OS_ZMM | CPU_AVX512F | CPU_AVX512CD,
     "Prescott", NULL, 0, 0, BLAS_REEXEC, "Haswell"},
    {"AVX-512 bits without OS ZMM state", "GenuineIntel", AVX2, "Haswell", NULL, 0, 0, BLAS_KEEP, "Haswell"},
    {"AVX only", "GenuineIntel", AVX, "Prescott", NULL, 0, 0, BLAS_REEXEC, "Sandybridge"},
    {"Bulldozer kept (AVX tier)", "AuthenticAMD", AVX | CPU_FMA4 | CPU_SSE4A, "Bulldozer", NULL, 0,
     0, BLAS_KEEP, "Sandybridge"},
    {"SSE4.2 only", "GenuineIntel", SSE, "Prescott", NULL, 0, 0, BLAS_REEXEC, "Nehalem"},
    {"SSSE3 only", "GenuineIntel", CPU_SSE3 | CPU_SSSE3, "Prescott", NULL, 0, 0, BLAS_REEXEC, "Core2"},
    {"baseline x86_64", "AuthenticAMD", CPU_SSE3, "Prescott", NULL, 0, 0, BLAS_KEEP, "Prescott"},
    {"no SSE3: never re-exec", "AuthenticAMD", 0, "Opteron", NULL, 0, 0, BLAS_KEEP, "Prescott"},
    {"user set a weaker core", "GenuineIntel", AVX512, "Prescott", "Prescott", 0, 0, BLAS_KEEP_USER,
     "SkylakeX"},
    {"user set SkylakeX on Zen3", "AuthenticAMD", AVX2, "SkylakeX", "SkylakeX", 0, 0,
     BLAS_USER_UNSUPPORTED, "Zen"},
    {"user name is case-insensitive", "GenuineIntel", AVX512, "SkylakeX", "skylakex", 0, 0,
     BLAS_KEEP_USER, "SkylakeX"},
    {"user set a name unknown to vdmc", "GenuineIntel", AVX2, "Haswell", "SapphireRapids", 0, 0,
     BLAS_KEEP_USER, "Haswell"},
    {"re-exec happens at most once", "GenuineIntel", AVX512, "Prescott", "SkylakeX", 1, 0,
     BLAS_KEEP_AFTER_REEXEC, "SkylakeX"},
    {"after a successful re-exec", "GenuineIntel", AVX512, "SkylakeX", "SkylakeX", 1, 0, BLAS_KEEP,
     "SkylakeX"},
    {"loaded name unknown to vdmc", "GenuineIntel", AVX512, "SapphireRapids", NULL, 0, 0,
     BLAS_KEEP_UNKNOWN, "SkylakeX"},
};

static void test_decision_table(void) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    CpuFeatures f;
    memset(&f, 0, sizeof f);
    strcpy(f.vendor, table[i].vendor);
    f.bits = table[i].bits;
    BlasDecision d = blas_decide(&f, table[i].loaded, table[i].user, table[i].reexec_done,
                                 table[i].cooperlake_ok);
    CHECK(d.action == table[i].action && !strcmp(d.target, table[i].target),
          "%s: got %s -> %s, expected %s -> %s", table[i].what, blas_action_name(d.action),
          d.target, blas_action_name(table[i].action), table[i].target);
    CHECK(d.action != BLAS_REEXEC || blas_core_supported(&f, d.target),
          "%s: re-exec target %s must run on this CPU", table[i].what, d.target);
  }
}

static void test_names(void) {
  CHECK(blas_core_rank("zen") == 4 && blas_core_rank("Haswell") == 4, "Zen/Haswell same tier");
  CHECK(blas_core_rank("SkylakeX") > blas_core_rank("Haswell"), "SkylakeX above Haswell");
  CHECK(blas_core_rank("Prescott") < blas_core_rank("Sandybridge"), "Prescott below Sandybridge");
  CHECK(blas_core_rank("Bogus") == -1 && blas_core_rank(NULL) == -1, "unknown name");
  CHECK(!blas_cooperlake_forceable("OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH"), "0.3.21");
  CHECK(blas_cooperlake_forceable("OpenBLAS 0.3.22 DYNAMIC_ARCH"), "0.3.22");
  CHECK(!blas_cooperlake_forceable("OpenBLAS 0.3.3"), "0.3.3");
  CHECK(blas_cooperlake_forceable("OpenBLAS 0.4.0"), "0.4.0");
  CHECK(!blas_cooperlake_forceable("garbage") && !blas_cooperlake_forceable(NULL), "garbage");
}

// Linux's view of the CPU (kernel-masked flags) must agree with cpuid + xgetbv.
static void test_detect_matches_cpuinfo(void) {
  CpuFeatures f;
  cpu_features_detect(&f);
  FILE *in = fopen("/proc/cpuinfo", "r");
  if (!in || !f.vendor[0]) {
    printf("detect: no /proc/cpuinfo or not x86; skipping the cross-check\n");
    if (in) fclose(in);
    return;
  }
  static char line[8192];
  int found = 0;
  while (fgets(line, sizeof line, in))
    if (!strncmp(line, "flags", 5)) {
      found = 1;
      break;
    }
  fclose(in);
  CHECK(found, "/proc/cpuinfo has a flags line");
  static const struct {
    const char *flag;
    unsigned bit;
  } pairs[] = {{" ssse3", CPU_SSSE3}, {" sse4_2", CPU_SSE4_2}, {" avx", CPU_AVX},
               {" avx2", CPU_AVX2},   {" fma", CPU_FMA},       {" avx512f", CPU_AVX512F},
               {" avx512bw", CPU_AVX512BW}, {" avx512vl", CPU_AVX512VL},
               {" avx512_bf16", CPU_AVX512_BF16}};
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    char word[32];
    snprintf(word, sizeof word, "%s ", pairs[i].flag);
    char *nl = strchr(line, '\n');
    if (nl) *nl = ' ';
    int linux_has = strstr(line, word) != NULL;
    int we_have = (f.bits & pairs[i].bit) != 0;
    CHECK(linux_has == we_have, "feature%s: /proc/cpuinfo %d, cpuid %d", pairs[i].flag, linux_has,
          we_have);
  }
  char text[512];
  cpu_features_format(&f, text, sizeof text);
  printf("detect: %s: %s\n", f.vendor, text);
  char tiny[8];
  cpu_features_format(&f, tiny, sizeof tiny);
  CHECK(strlen(tiny) < sizeof tiny, "format truncates safely");
}

static void test_this_machine(void) {
  const BlasState *s = blas_state();
  CHECK(blas_core_supported(&s->cpu, s->loaded), "loaded core %s runs on this CPU", s->loaded);
  CHECK(blas_core_supported(&s->cpu, s->decision.target), "best core %s runs on this CPU",
        s->decision.target);
  CHECK(s->threads >= 1, "threads %d", s->threads);
  int st = blas_self_check();
  CHECK(st == VDMC_OK, "self-check: %s", st == VDMC_OK ? "" : vdmc_error_message());
  CHECK(strstr(blas_report_line(), s->loaded) != NULL, "report names the core: %s",
        blas_report_line());
  blas_report(stdout);
}

int main(void) {
  test_decision_table();
  test_names();
  test_detect_matches_cpuinfo();
  test_this_machine();
  return check_finish("blas_select");
}
