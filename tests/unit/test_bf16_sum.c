// One hop of the bf16 gradient sum (docs/mpi.md, "Reduced-precision gradient sum"):
// ops/bf16.h's add_bf16 and the MPI_Op of mpi/bf16_sum.h (applied by MPI_Reduce_local,
// so MPI's call of the op is checked too) against an independent reference: the exact
// sum of the two bf16 values in double (8-bit significands: every sum of two finite
// bf16 values is exact in double's 53 bits) rounded to the nearest bf16 by distance,
// ties to the even one. So the float32 addition inside add_bf16 never rounds twice in
// a way that shows. Named cases, then 2^22 random pairs with exponents up to 24 apart
// and 2^20 over the whole finite range.
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mpi_test.h"
#include "core/status.h"
#include "mpi/bf16_sum.h"
#include "mpi/comm.h"
#include "ops/bf16.h"

static float f_of_bf16(uint16_t h) {
  uint32_t x = (uint32_t)h << 16;
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

// The bf16 nearest to x (finite), ties to even; past the half-way point after the
// largest bf16 (2^128 - 2^119), inf. Built from the value, not from float32 bits:
// the grid spacing at x is 2^(e - 8) for x in [2^(e-1), 2^e), never below the
// subnormal spacing 2^-133.
static uint16_t reference_bf16(double x) {
  uint16_t sign = signbit(x) ? 0x8000u : 0;
  double a = fabs(x);
  if (a == 0) return sign;
  int e;
  frexp(a, &e);
  if (e < -125) e = -125;
  double q = ldexp(1.0, e - 8), lo = floor(a / q) * q, hi = lo + q;
  double r = a - lo < hi - a ? lo : hi - a < a - lo ? hi : fmod(lo / q, 2) == 0 ? lo : hi;
  if (r >= ldexp(1.0, 128)) return sign | 0x7f80u;
  float f = (float)r;  // r is a bf16 value: exact in float32
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return sign | (uint16_t)(bits >> 16);
}

static int is_nan_bf16(uint16_t h) { return (h & 0x7fffu) > 0x7f80u; }

static uint64_t lcg = 0x243f6a8885a308d3ull;
static uint32_t next_u32(void) {
  lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(lcg >> 32);
}

// A finite bf16 with exponent field in [emin, emax] (1..254 normal, 0 subnormal), random sign and mantissa.
static uint16_t random_bf16(int emin, int emax) {
  uint32_t r = next_u32();
  uint16_t e = (uint16_t)(emin + (int)(r % (uint32_t)(emax - emin + 1)));
  return (uint16_t)(((r >> 16) & 0x8000u) | (e << 7) | ((r >> 8) & 0x7fu));
}

// add_bf16 and the MPI_Op on n pairs against the reference; returns how many differ.
static size_t check_pairs(MPI_Op op, const uint16_t *a, const uint16_t *b, size_t n, const char *what) {
  uint16_t *sum = malloc(n * sizeof *sum), *mpi = malloc(n * sizeof *mpi);
  memcpy(sum, a, n * sizeof *sum);
  add_bf16(sum, b, n);
  memcpy(mpi, a, n * sizeof *mpi);
  CHECK(MPI_Reduce_local(b, mpi, (int)n, MPI_UINT16_T, op) == MPI_SUCCESS, "MPI_Reduce_local with the bf16 op");
  size_t bad = 0, bad_mpi = 0;
  for (size_t i = 0; i < n; i++) {
    double exact = (double)f_of_bf16(a[i]) + (double)f_of_bf16(b[i]);
    uint16_t want = reference_bf16(exact);
    if (sum[i] != want) {
      if (bad < 5)
        fprintf(stderr, "%s: %04x + %04x -> %04x, want %04x\n", what, a[i], b[i], sum[i], want);
      bad++;
    }
    bad_mpi += mpi[i] != sum[i];
  }
  CHECK(bad == 0, "%s: add_bf16 differs from the correctly rounded sum on %zu of %zu", what, bad, n);
  CHECK(bad_mpi == 0, "%s: the MPI_Op differs from add_bf16 on %zu of %zu", what, bad_mpi, n);
  free(sum);
  free(mpi);
  return bad;
}

static void named_cases(MPI_Op op) {
  static const struct {
    uint16_t a, b, want;
    const char *what;
  } cases[] = {
      {0x3f80, 0x3b80, 0x3f80, "1 + 2^-8: tie, to the even 1"},
      {0x3f81, 0x3b80, 0x3f82, "(1 + 2^-7) + 2^-8: tie, to the even 1 + 2^-6"},
      {0x3f80, 0x3b81, 0x3f81, "1 + (2^-8 + 2^-15): above the tie, up"},
      {0x3f80, 0x3f80, 0x4000, "1 + 1 = 2"},
      {0x3f80, 0xbf80, 0x0000, "1 - 1 = +0"},
      {0x8000, 0x8000, 0x8000, "-0 + -0 = -0"},
      {0x3f80, 0x3380, 0x3f80, "1 + 2^-24: the float32 sum is exact, then rounds to 1"},
      {0x3f80, 0x0001, 0x3f80, "1 + the smallest subnormal"},
      {0x0001, 0x0001, 0x0002, "subnormal + subnormal: exact"},
      {0x007f, 0x0001, 0x0080, "largest subnormal + smallest: smallest normal"},
      {0x7f7f, 0x7f7f, 0x7f80, "largest + largest: inf"},
      {0x7f7f, 0x7380, 0x7f7f, "largest + 2^104 (a quarter ulp): largest"},
      {0x7f80, 0x3f80, 0x7f80, "inf + 1 = inf"},
      {0xff80, 0x7f7f, 0xff80, "-inf + largest = -inf"},
  };
  enum { N = sizeof cases / sizeof cases[0] };
  uint16_t a[N], b[N], sum[N];
  for (int i = 0; i < N; i++) a[i] = cases[i].a, b[i] = cases[i].b, sum[i] = cases[i].a;
  add_bf16(sum, b, N);
  for (int i = 0; i < N; i++) {
    CHECK(sum[i] == cases[i].want, "%04x + %04x -> %04x, want %04x (%s)", a[i], b[i], sum[i], cases[i].want,
          cases[i].what);
    double exact = (double)f_of_bf16(a[i]) + (double)f_of_bf16(b[i]);
    if (isfinite(exact))
      CHECK(reference_bf16(exact) == cases[i].want, "reference %04x + %04x -> %04x, want %04x (%s)", a[i], b[i],
            reference_bf16(exact), cases[i].want, cases[i].what);
  }
  check_pairs(op, a, b, 10, "named finite cases");  // the first 10 are finite sums
  // NaN in, or inf - inf: a NaN out (any payload; the gradient's non-finite check sees it)
  uint16_t na[3] = {0x7fc0, 0x7f80, 0x3f80}, nb[3] = {0x3f80, 0xff80, 0xffc1};
  add_bf16(na, nb, 3);
  CHECK(is_nan_bf16(na[0]) && is_nan_bf16(na[1]) && is_nan_bf16(na[2]), "NaN + 1, inf - inf, 1 + NaN: %04x %04x %04x",
        na[0], na[1], na[2]);
}

static void random_pairs(MPI_Op op) {
  enum { NEAR = 1 << 22, WIDE = 1 << 20 };
  uint16_t *a = malloc(NEAR * sizeof *a), *b = malloc(NEAR * sizeof *b);
  // exponents up to 24 apart: every ratio where the float32 sum is exact, and past it
  for (size_t i = 0; i < NEAR; i++) {
    int e = 1 + (int)(next_u32() % 200u), gap = (int)(next_u32() % 25u);
    a[i] = random_bf16(e + gap, e + gap);
    b[i] = random_bf16(e, e);
  }
  check_pairs(op, a, b, NEAR, "exponents 0-24 apart");
  // the whole finite range, subnormals included; sums past the largest bf16 are inf
  for (size_t i = 0; i < WIDE; i++) a[i] = random_bf16(0, 254), b[i] = random_bf16(0, 254);
  check_pairs(op, a, b, WIDE, "whole finite range");
  // near cancellation: b = -(a + a few ulps), where the sum is exact
  for (size_t i = 0; i < WIDE; i++) {
    a[i] = random_bf16(1, 253);
    b[i] = (uint16_t)((a[i] ^ 0x8000u) + (next_u32() % 5u));
  }
  check_pairs(op, a, b, WIDE, "cancellation");
  free(a);
  free(b);
}

int main(int argc, char **argv) {
  VdmcComm c;
  mpi_test_init(&argc, &argv, &c);
  MPI_Op op;
  CHECK(bf16_sum_create(&op) == VDMC_OK, "bf16_sum_create: %s", vdmc_error_message());
  int commute = 0;
  MPI_Op_commutative(op, &commute);
  CHECK(commute == 1, "the bf16 sum is declared commutative");
  named_cases(op);
  random_pairs(op);
  MPI_Op_free(&op);
  return mpi_test_finish(&c, "bf16_sum");
}
