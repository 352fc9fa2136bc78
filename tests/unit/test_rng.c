// Philox4x32-10 known answers and the keyed stream contract of core/rng.h.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/rng.h"

// Known-answer vectors: counter[4], key[2] -> output[4]. The first three are the
// philox4x32 10 lines of Random123's kat_vectors (as copied into DEShawResearch/
// Random123-Boost libs/random/test/test_philox.cpp); the others, one counter or key
// word set at a time, are from girving/random123-manual examples/kat_vectors.
typedef struct {
  uint32_t ctr[4], key[2], out[4];
} Kat;

static const Kat KATS[] = {
    {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
     {0xffffffff, 0xffffffff},
     {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
     {0xa4093822, 0x299f31d0},
     {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    {{1, 0, 0, 0}, {1, 0}, {0xac08141b, 0xdfc5ccbe, 0x79c07a47, 0xa7f66093}},
    {{0, 1, 0, 0}, {1, 0}, {0x833ff8dc, 0x225c963c, 0x232b88b3, 0x0b334b07}},
    {{0, 0, 1, 0}, {1, 0}, {0x07071c12, 0x428264b6, 0x3909104b, 0x6da2bda2}},
    {{0, 0, 0, 1}, {1, 0}, {0x127bee41, 0x1e047488, 0x48842b20, 0x0a393496}},
    {{1, 0, 0, 0}, {0, 1}, {0xccf3076a, 0x6306f434, 0xbea71965, 0xd96fe48a}},
    {{0, 0, 0, 0x80000000}, {0, 0x80000000}, {0xf7a0b371, 0xe51dc93d, 0x56ce135d, 0x1d4b5580}},
};

static void test_known_answers(void) {
  for (size_t t = 0; t < sizeof KATS / sizeof KATS[0]; t++) {
    uint32_t out[4];
    philox4x32_10(out, KATS[t].ctr, KATS[t].key);
    for (int i = 0; i < 4; i++)
      CHECK(out[i] == KATS[t].out[i], "kat %zu word %d: got %08x expected %08x", t, i, out[i],
            KATS[t].out[i]);
  }
}

static RngStream base_stream(void) {
  RngStream s = {.seed = 0x0123456789ABCDEFull, .purpose = RNG_NOISE, .sub = 0x00ABCDEF,
                 .step = 77, .example = 12345};
  return s;
}

// Element i of a stream is word i%4 of the block at counter (i/4, example, step,
// purpose<<24 | sub), key (seed lo, seed hi): checked against the raw block function.
static void test_counter_layout(void) {
  RngStream s = base_stream();
  s.sub = 0x7ABCDEF1;  // only the low 24 bits count
  enum { N = 23 };
  float u[N];
  rng_uniform(u, N, &s, 5);
  int bad = 0;
  for (int e = 0; e < N; e++) {
    uint64_t i = 5 + (uint64_t)e;
    uint32_t ctr[4] = {(uint32_t)(i / 4), 12345, 77, ((uint32_t)RNG_NOISE << 24) | 0xBCDEF1};
    uint32_t key[2] = {0x89ABCDEF, 0x01234567}, w[4];
    philox4x32_10(w, ctr, key);
    float expect = (float)(w[i % 4] >> 8) / 16777216.0f;
    if (u[e] != expect) bad++;
  }
  CHECK(bad == 0, "rng_uniform follows the documented counter layout (%d mismatches)", bad);

  // rng_uniform_double: double k = (element 2k << 21 | element 2k+1 >> 11) / 2^53
  for (uint64_t k = 0; k < 6; k++) {
    uint32_t ctr[4] = {(uint32_t)(k / 2), 12345, 77, ((uint32_t)RNG_NOISE << 24) | 0xBCDEF1};
    uint32_t key[2] = {0x89ABCDEF, 0x01234567}, w[4];
    philox4x32_10(w, ctr, key);
    int p = (int)(k % 2) * 2;
    double expect = (double)(((uint64_t)w[p] << 21) | (w[p + 1] >> 11)) / 9007199254740992.0;
    CHECK(rng_uniform_double(&s, k) == expect, "rng_uniform_double(%d) layout", (int)k);
  }
}

// Any window [first, first + n) reproduces the same elements as one long draw, for
// every alignment of first and n relative to the 4-word blocks and the normal pairs.
static void test_offsets(void) {
  RngStream s = base_stream();
  enum { N = 64 };
  float ufull[N], nfull[N], part[N];
  rng_uniform(ufull, N, &s, 0);
  rng_normal(nfull, N, &s, 0);
  int bad_u = 0, bad_n = 0;
  for (size_t first = 0; first < 9; first++)
    for (size_t n = 0; first + n <= N; n += 7) {
      rng_uniform(part, n, &s, first);
      if (n && memcmp(part, ufull + first, n * sizeof *part)) bad_u++;
      rng_normal(part, n, &s, first);
      if (n && memcmp(part, nfull + first, n * sizeof *part)) bad_n++;
    }
  CHECK(bad_u == 0, "rng_uniform windows reproduce the full draw (%d bad)", bad_u);
  CHECK(bad_n == 0, "rng_normal windows reproduce the full draw (%d bad)", bad_n);
  // far into the stream (block index above 2^31)
  uint64_t far = (3ull << 31) * 4 + 3;
  float a[6], b[2];
  rng_normal(a, 6, &s, far);
  rng_normal(b, 2, &s, far + 3);
  CHECK(a[3] == b[0] && a[4] == b[1], "far offsets reproduce");
}

// Sample moments within 5 standard errors of the population values (the draws are
// deterministic, so this either always passes or always fails for these keys).
static void check_moments(const float *x, size_t n, double mean, double var, double m4,
                          const char *what) {
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) s1 += x[i];
  double mu = s1 / (double)n;
  for (size_t i = 0; i < n; i++) s2 += ((double)x[i] - mean) * ((double)x[i] - mean);
  double v = s2 / (double)n;
  double se_mean = sqrt(var / (double)n);
  double se_var = sqrt((m4 - var * var) / (double)n);  // Var((X-mu)^2) = m4 - var^2
  CHECK(fabs(mu - mean) < 5 * se_mean, "%s mean %.6f vs %.6f (5 se = %.2g)", what, mu, mean,
        5 * se_mean);
  CHECK(fabs(v - var) < 5 * se_var, "%s variance %.6f vs %.6f (5 se = %.2g)", what, v, var,
        5 * se_var);
}

static void test_distributions(void) {
  enum { N = 1 << 20 };
  float *x = malloc(N * sizeof *x);
  RngStream s = base_stream();

  rng_uniform(x, N, &s, 0);
  float lo = 1, hi = 0;
  for (size_t i = 0; i < N; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  CHECK(lo >= 0 && hi < 1, "uniform range [%g, %g] inside [0, 1)", lo, hi);
  // U(0,1): variance 1/12, fourth central moment 1/80
  check_moments(x, N, 0.5, 1.0 / 12, 1.0 / 80, "uniform");
  // bucket counts: chi-square over 64 equal bins, 63 dof, mean 63, sd 11.2; < 63 + 5 sd
  size_t bins[64] = {0};
  for (size_t i = 0; i < N; i++) bins[(int)(x[i] * 64)]++;
  double chi2 = 0, e = N / 64.0;
  for (int b = 0; b < 64; b++) chi2 += (bins[b] - e) * (bins[b] - e) / e;
  CHECK(chi2 < 63 + 5 * sqrt(2 * 63.0), "uniform chi-square %.1f over 64 bins", chi2);

  rng_normal(x, N, &s, 0);
  // N(0,1): variance 1, fourth moment 3
  check_moments(x, N, 0.0, 1.0, 3.0, "normal");
  size_t tail = 0;
  double cross = 0;
  for (size_t i = 0; i < N; i++) tail += fabs(x[i]) > 2.0;
  for (size_t i = 0; i < N; i += 2) cross += (double)x[i] * x[i + 1];  // cos/sin partners
  double p2 = 0.04550026389635842;  // P(|Z| > 2)
  double ft = (double)tail / N;
  CHECK(fabs(ft - p2) < 5 * sqrt(p2 * (1 - p2) / N), "normal P(|z|>2) %.5f vs %.5f", ft, p2);
  double corr = cross / (N / 2);
  CHECK(fabs(corr) < 5 / sqrt(N / 2.0), "Box-Muller partners uncorrelated: %.5f", corr);

  // doubles: mean and the bits below float precision are used
  double sd = 0;
  int fine = 0;
  for (uint64_t k = 0; k < 100000; k++) {
    double d = rng_uniform_double(&s, k);
    sd += d;
    if (d < 0 || d >= 1) fine = -1000000;
    if (d * 9007199254740992.0 != floor(d * 16777216.0) * 536870912.0) fine++;
  }
  CHECK(fabs(sd / 1e5 - 0.5) < 5 * sqrt(1.0 / 12 / 1e5), "uniform_double mean %.5f", sd / 1e5);
  CHECK(fine > 99000, "uniform_double carries more than 24 bits (%d of 1e5)", fine);
  free(x);
}

// Streams that differ in exactly one key field are uncorrelated, share no run of
// equal words, and the truncations documented in rng.h hold.
static void test_independence(void) {
  enum { N = 1 << 16 };
  float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
  RngStream s0 = base_stream();
  rng_uniform(a, N, &s0, 0);
  for (int field = 0; field < 6; field++) {
    RngStream s = s0;
    const char *name = "";
    switch (field) {
      case 0: s.seed ^= 1; name = "seed low"; break;
      case 1: s.seed ^= 1ull << 40; name = "seed high"; break;
      case 2: s.purpose = RNG_DROPOUT; name = "purpose"; break;
      case 3: s.sub += 1; name = "sub"; break;
      case 4: s.step += 1; name = "step"; break;
      default: s.example += 1; name = "example"; break;
    }
    rng_uniform(b, N, &s, 0);
    double sab = 0;
    int equal = 0;
    for (size_t i = 0; i < N; i++) {
      sab += ((double)a[i] - 0.5) * ((double)b[i] - 0.5);
      equal += a[i] == b[i];
    }
    double corr = sab / N * 12.0;  // each centred variable has variance 1/12
    CHECK(fabs(corr) < 5 / sqrt((double)N), "streams differing in %s: correlation %.4f", name,
          corr);
    // P(two independent 24-bit values are equal) = 2^-24: expect ~0.004 of N = 65536
    CHECK(equal <= 3, "streams differing in %s share %d equal values", name, equal);
  }
  RngStream t = s0;
  t.sub |= 0xFF000000u;
  t.step += 1ull << 32;
  t.example += 1ull << 32;
  rng_uniform(b, 16, &t, 0);
  CHECK(memcmp(a, b, 16 * sizeof *a) == 0, "sub uses 24 bits, step and example 32 bits");
  free(a);
  free(b);
}

// rng_bits is the word stream behind rng_uniform: uniform i = (bits i >> 8) / 2^24, for
// any start and length (block boundaries at multiples of 4; rng_bits computes 32 whole
// blocks, 128 words, at a time lane-parallel, rng_uniform one block at a time).
static void test_bits(void) {
  RngStream s = {.seed = 99, .purpose = RNG_DROPOUT, .sub = 3, .step = 5, .example = 8};
  enum { N = 301 };  // long enough for two 32-block batches, with ragged ends
  uint32_t w[N];
  float u[N];
  int bad = 0;
  for (uint64_t first = 0; first < 6; first++)
    for (size_t n = 1; n <= N; n += 25) {
      rng_bits(w, n, &s, first);
      rng_uniform(u, n, &s, first);
      for (size_t i = 0; i < n; i++) bad += u[i] != (float)(w[i] >> 8) / 16777216.0f;
    }
  // across the 32-bit block counter wrap (element 2^34 is block 0 again)
  rng_bits(w, 256, &s, ((uint64_t)1 << 34) - 128);
  rng_uniform(u, 256, &s, ((uint64_t)1 << 34) - 128);
  for (int i = 0; i < 256; i++) bad += u[i] != (float)(w[i] >> 8) / 16777216.0f;
  CHECK(bad == 0, "rng_bits matches rng_uniform (%d mismatches)", bad);
  // every bit of every word (the comparison above sees the top 24): word i is word
  // i % 4 of the Philox block of counter (i / 4, example, step, purpose << 24 | sub)
  bad = 0;
  const uint32_t key[2] = {(uint32_t)s.seed, (uint32_t)(s.seed >> 32)};
  for (uint64_t first = 0; first < 6; first++) {
    rng_bits(w, N, &s, first);
    for (size_t i = 0; i < N; i++) {
      const uint64_t e = first + i;
      const uint32_t ctr[4] = {(uint32_t)(e / 4), (uint32_t)s.example, (uint32_t)s.step,
                               ((uint32_t)s.purpose << 24) | s.sub};
      uint32_t block[4];
      philox4x32_10(block, ctr, key);
      bad += w[i] != block[e % 4];
    }
  }
  CHECK(bad == 0, "rng_bits words equal philox4x32_10 of the stream's counters (%d mismatches)",
        bad);
}

int main(void) {
  test_bits();
  test_known_answers();
  test_counter_layout();
  test_offsets();
  test_distributions();
  test_independence();
  return check_finish("rng");
}
