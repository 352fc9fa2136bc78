// The Winograd F(2x2, 3x3) transforms (ops/winograd_transforms.h) at both vector
// widths (ops/winograd_kernels.h: 8- and 16-channel groups) against the matrix
// products of their definitions in double precision (B^T d B, A^T m A, A dy A^T,
// G g G^T, G^T du G with the matrices written out below), for channel counts with and
// without a remainder group; the two widths bit for bit against each other; the
// accumulate and bias forms of the output transform; the input and grad-output
// transforms rounding what they read to bf16 (a bf16 region) against the same transform
// on a round_to_bf16'd copy, bit for bit, special values included.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ops/bf16.h"
#include "ops/winograd_kernels.h"

static const double BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const double G[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

// out (r x r) = L (r x s) . X (s x s) . L^T for one channel; L row-major r x s.
static void sandwich(const double *L, int r, int s, const double *X, double *out) {
  for (int i = 0; i < r; i++)
    for (int j = 0; j < r; j++) {
      double acc = 0;
      for (int a = 0; a < s; a++)
        for (int b = 0; b < s; b++) acc += L[i * s + a] * X[a * s + b] * L[j * s + b];
      out[i * r + j] = acc;
    }
}

// Transposed matrix (r x s -> s x r).
static void transpose(const double *L, int r, int s, double *T) {
  for (int i = 0; i < r; i++)
    for (int j = 0; j < s; j++) T[j * r + i] = L[i * s + j];
}

static double worst;  // largest error relative to 1 + |reference| of the current check

static void compare(float got, double want) {
  double e = fabs(got - want) / (1.0 + fabs(want));
  if (e > worst) worst = e;
}

enum { LD_PAD = 5 };

// One kernel table on C channels: every transform against its definition.
static void check_table(const WinoKernels *k, const char *what, size_t C) {
  const size_t ld = C + LD_PAD;  // plane stride of transformed buffers
  float *in = malloc(16 * C * sizeof *in), *out = malloc(16 * ld * sizeof *out);
  float *bias = malloc(C * sizeof *bias), *y = malloc(4 * C * sizeof *y);
  double X[16], R[16], L[16];
  fill_uniform(in, 16 * C, (unsigned)C, -1, 1);
  fill_uniform(bias, C, 7, -1, 1);

  // input: v = B^T d B, d's 16 rows given by pointers
  const float *d[WINO_POS];
  for (int p = 0; p < WINO_POS; p++) d[p] = in + p * C;
  k->input(out, ld, d, C, 0);
  worst = 0;
  for (size_t c = 0; c < C; c++) {
    for (int p = 0; p < 16; p++) X[p] = in[p * C + c];
    sandwich(&BT[0][0], 4, 4, X, R);
    for (int p = 0; p < 16; p++) compare(out[p * ld + c], R[p]);
  }
  CHECK(worst <= 1e-6, "%s C=%zu input transform: err %.2e", what, C, worst);

  // output: y = A^T m A (+ bias, or accumulated onto y)
  for (int accumulate = 0; accumulate < 2; accumulate++) {
    float *yr[4] = {y, y + C, y + 2 * C, y + 3 * C};
    fill_uniform(y, 4 * C, 3, -1, 1);
    float *y0 = malloc(4 * C * sizeof *y0);
    memcpy(y0, y, 4 * C * sizeof *y0);
    for (int p = 0; p < 16; p++) memcpy(out + p * ld, in + p * C, C * sizeof *in);
    k->output(yr, out, ld, bias, accumulate, C);
    worst = 0;
    for (size_t c = 0; c < C; c++) {
      for (int p = 0; p < 16; p++) X[p] = in[p * C + c];
      sandwich(&AT[0][0], 2, 4, X, R);
      for (int q = 0; q < 4; q++) compare(y[q * C + c], R[q] + (accumulate ? y0[q * C + c] : bias[c]));
    }
    CHECK(worst <= 1e-6, "%s C=%zu output transform (%s): err %.2e", what, C,
          accumulate ? "accumulate" : "bias", worst);
    free(y0);
  }

  // grad output: dm = A dy A^T for the 2x2 gradient tile
  const float *dy[4] = {in, in + C, in + 2 * C, in + 3 * C};
  transpose(&AT[0][0], 2, 4, L);  // A (4 x 2)
  k->grad_output(out, ld, dy, C, 0);
  worst = 0;
  for (size_t c = 0; c < C; c++) {
    for (int p = 0; p < 4; p++) X[p] = in[p * C + c];
    sandwich(L, 4, 2, X, R);
    for (int p = 0; p < 16; p++) compare(out[p * ld + c], R[p]);
  }
  CHECK(worst <= 1e-6, "%s C=%zu grad-output transform: err %.2e", what, C, worst);

  // weight: u = G g G^T over the pairs [1, C) (lo > 0: a range inside the rows)
  const size_t lo = 1, n = C + 2;  // n: row stride of g and u
  float *g = malloc(9 * n * sizeof *g), *u = malloc(16 * n * sizeof *u);
  fill_uniform(g, 9 * n, 5, -1, 1);
  k->weight(u, g, n, lo, C);
  worst = 0;
  for (size_t e = lo; e < C; e++) {
    for (int p = 0; p < 9; p++) X[p] = g[p * n + e];
    sandwich(&G[0][0], 4, 3, X, R);
    for (int p = 0; p < 16; p++) compare(u[p * n + e], R[p]);
  }
  CHECK(worst <= 1e-6, "%s C=%zu weight transform: err %.2e", what, C, worst);

  // weight grad: dg += G^T du G
  float *du = malloc(16 * n * sizeof *du), *dg0 = malloc(9 * n * sizeof *dg0);
  fill_uniform(du, 16 * n, 9, -1, 1);
  memcpy(dg0, g, 9 * n * sizeof *g);
  transpose(&G[0][0], 4, 3, L);  // G^T (3 x 4)
  k->weight_grad(g, du, n, lo, C);
  worst = 0;
  for (size_t e = lo; e < C; e++) {
    for (int p = 0; p < 16; p++) X[p] = du[p * n + e];
    sandwich(L, 3, 4, X, R);
    for (int p = 0; p < 9; p++) compare(g[p * n + e], dg0[p * n + e] + R[p]);
  }
  CHECK(worst <= 1e-6, "%s C=%zu weight gradient: err %.2e", what, C, worst);
  CHECK(g[0] == dg0[0], "%s C=%zu weight gradient: element before lo written",
        what, C);
  free(in), free(out), free(bias), free(y), free(g), free(u), free(du), free(dg0);
}

// The input transform at both widths, and through wino_kernels_for: the
// same bits (additions in the same order whatever the width).
static void check_widths_agree(size_t C) {
  const size_t ld = C;
  float *in = malloc(16 * C * sizeof *in), *v[3];
  const float *d[WINO_POS];
  fill_uniform(in, 16 * C, 99, -3, 3);
  for (int p = 0; p < WINO_POS; p++) d[p] = in + p * C;
  for (int w = 0; w < 3; w++) v[w] = malloc(16 * ld * sizeof(float));
  wino_kernels8()->input(v[0], ld, d, C, 0);
  wino_kernels16()->input(v[1], ld, d, C, 0);
  wino_kernels_for(C)->input(v[2], ld, d, C, 0);
  CHECK(!memcmp(v[0], v[1], 16 * ld * sizeof(float)) && !memcmp(v[0], v[2], 16 * ld * sizeof(float)),
        "C=%zu: the 8- and 16-lane input transforms (and wino_kernels_for) differ", C);
  for (int w = 0; w < 3; w++) free(v[w]);
  free(in);
}

// rows x C floats at stride ld: the same bits, or both NaN (which NaN's payload an
// addition of two NaNs keeps depends on the order GCC gives its operands, which may
// differ between the two compiled loops).
static int same_floats(const float *a, const float *b, size_t ld, size_t C, int rows) {
  for (int r = 0; r < rows; r++)
    for (size_t c = 0; c < C; c++) {
      const float x = a[r * ld + c], y = b[r * ld + c];
      if (memcmp(&x, &y, sizeof x) && !(isnan(x) && isnan(y))) return 0;
    }
  return 1;
}

// round = 1 (a bf16 region) against round = 0 on a round_to_bf16'd copy: the same bits,
// for both transforms that read activations, on values around rounding ties and carries,
// bf16 and float32 subnormals, the largest floats (rounding to inf), infinities and NaNs.
static void check_rounding(const WinoKernels *k, const char *what, size_t C) {
  const size_t ld = C + LD_PAD;
  float *in = malloc(16 * C * sizeof *in), *in_r = malloc(16 * C * sizeof *in_r);
  float *a = malloc(16 * ld * sizeof *a), *b = malloc(16 * ld * sizeof *b);
  fill_uniform(in, 16 * C, 41 + (unsigned)C, -4, 4);
  const uint32_t special[] = {0x3f808000u, 0x3f818000u, 0x3f807fffu, 0x3f808001u, 0x00008000u,
                              0x80018000u, 0x00000001u, 0x7f7fffffu, 0xff7f8000u, 0x7f800000u,
                              0x7fc00001u, 0xff812345u, 0x3effffffu, 0x007fffffu};
  for (size_t i = 0; i < 16 * C; i += 3) {
    const uint32_t bits = special[(i / 3) % (sizeof special / sizeof *special)];
    memcpy(&in[i], &bits, sizeof bits);
  }
  round_to_bf16(in_r, in, 16 * C);
  const float *d[WINO_POS], *dr[WINO_POS];
  for (int p = 0; p < WINO_POS; p++) d[p] = in + p * C, dr[p] = in_r + p * C;
  k->input(a, ld, d, C, 1);
  k->input(b, ld, dr, C, 0);
  CHECK(same_floats(a, b, ld, C, 16), "%s C=%zu: the input transform rounding as it reads "
        "differs from it on a rounded copy", what, C);
  k->grad_output(a, ld, d, C, 1);
  k->grad_output(b, ld, dr, C, 0);
  CHECK(same_floats(a, b, ld, C, 16), "%s C=%zu: the grad-output transform rounding as it "
        "reads differs from it on a rounded copy", what, C);
  free(in), free(in_r), free(a), free(b);
}

int main(void) {
  const size_t Cs[] = {1, 7, 8, 16, 20, 24, 32, 48, 64};
  for (size_t i = 0; i < sizeof Cs / sizeof *Cs; i++) {
    check_table(wino_kernels8(), "8 lanes", Cs[i]);
    check_table(wino_kernels16(), "16 lanes", Cs[i]);
    check_widths_agree(Cs[i]);
    check_rounding(wino_kernels8(), "8 lanes", Cs[i]);
    check_rounding(wino_kernels16(), "16 lanes", Cs[i]);
  }
  return check_finish("winograd_transforms");
}
