// The own mma.sp kernel's weight encoding (cuda/src/sparse24_pack.cpp) proven without a GPU. A host emulation of
// mma.sp::ordered_metadata.m16n8k32.row.col.f32.f16.f16.f32, written from the PTX ISA's definitions of its A, B,
// C/D fragments and its metadata operand (not from the packer), is fed exactly as sparse24_mma.cu's kernel feeds
// the hardware: each lane's 16-byte value load, its metadata word (lanes t = 0, 1; selector 0), its B registers.
// On random 2:4 matrices of odd sizes its output must equal W·x exactly (the test values are exact in FP16 and
// their sums exact in double). Then: corrupted metadata is caught, non-2:4 input is refused untouched, and the
// FP16 rounding is checked against IEEE binary16. Plain C++: ctest runs it (ci/native-tests.sh, `mvn verify`).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sparse24_pack.h"

namespace {

int failures = 0;
std::mt19937 rng(20261201);

void expect(bool ok, const std::string& what) {
  if (!ok) failures++;
  std::printf("%s %s\n", ok ? "PASS" : "FAIL", what.c_str());
}

// binary16 bits -> value (independent of the packer's encoder).
double half_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 31 ? (m != 0 ? NAN : INFINITY) : e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return (h & 0x8000) ? -v : v;
}

// One warp's registers for one mma.sp.m16n8k32 (.f16 A/B, .f32 C/D): [lane][register].
struct Warp {
  uint32_t a[32][4] = {};
  uint32_t b[32][4] = {};
  uint32_t e[32] = {};
  double d[32][4] = {};
};

// D += A·B as the PTX ISA defines the instruction for sparsity selector 0. Lane l: groupID g = l >> 2,
// threadID_in_group t = l % 4. A (16 x 32, 2:4): register r holds elements a(2r), a(2r+1), two kept values of the
// 4-column chunk [firstcol, firstcol + 3] of one row, row = g for a0,a1,a4,a5 and g + 8 otherwise, firstcol = 4t
// for a0..a3 and 4t + 16 for a4..a7. Metadata (figure "Sparse MMA .m16n8k32 metadata layout for .f16/.bf16"):
// row R's chunk c is described by the word of lane 4 (R % 8) + 2 selector + c / 4, bits 16 (R / 8) + 4 (c % 4)
// upwards, two 2-bit positions, the lower first (::ordered_metadata: strictly ascending). B (32 x 8): register j
// holds rows 2t + 8j and 2t + 8j + 1 of column g. C/D: c0, c1 = (g, 2t), (g, 2t + 1); c2, c3 = rows g + 8.
// Returns false where the metadata is invalid (equal or descending positions).
bool mma_sp_m16n8k32(Warp& w) {
  const int selector = 0;
  double A[16][32] = {}, B[32][8] = {};
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane >> 2, t = lane & 3;
    for (int r = 0; r < 4; r++) {
      const int row = g + 8 * (r & 1), chunk = t + 4 * (r >> 1);
      const uint32_t word = w.e[4 * (row % 8) + 2 * selector + chunk / 4];
      const uint32_t nib = word >> (16 * (row / 8) + 4 * (chunk % 4)) & 15;
      const int first = (int)(nib & 3), second = (int)(nib >> 2);
      if (first >= second) return false;
      A[row][4 * chunk + first] = half_value((uint16_t)(w.a[lane][r] & 0xffff));
      A[row][4 * chunk + second] = half_value((uint16_t)(w.a[lane][r] >> 16));
    }
    for (int j = 0; j < 4; j++) {
      B[2 * t + 8 * j][g] = half_value((uint16_t)(w.b[lane][j] & 0xffff));
      B[2 * t + 8 * j + 1][g] = half_value((uint16_t)(w.b[lane][j] >> 16));
    }
  }
  for (int lane = 0; lane < 32; lane++) {
    const int g = lane >> 2, t = lane & 3;
    for (int i = 0; i < 4; i++) {
      const int row = g + (i >= 2 ? 8 : 0), col = 2 * t + (i & 1);
      for (int k = 0; k < 32; k++) w.d[lane][i] += A[row][k] * B[k][col];
    }
  }
  return true;
}

// out [batch][rows] through the emulated instruction, reading values/meta and x the way sparse24_mma_kernel does.
bool emulate_kernel(const std::vector<uint16_t>& values, const std::vector<uint32_t>& meta, const std::vector<float>& x,
                    int rows, int cols, int batch, std::vector<double>& out) {
  const int chunks = (cols + 31) / 32;
  out.assign((size_t)batch * rows, NAN);
  auto x_bits = [&](int n, int k) { return sjc::f16_bits(n < batch && k < cols ? x[(size_t)n * cols + k] : 0.0f); };
  for (int tile = 0; tile < (rows + 15) / 16; tile++) {
    for (int n0 = 0; n0 < batch; n0 += 8) {
      Warp w;
      for (int kc = 0; kc < chunks; kc++) {
        const size_t at = (size_t)tile * chunks + kc;
        for (int lane = 0; lane < 32; lane++) {
          const int g = lane >> 2, t = lane & 3, n = n0 + g, k0 = kc * 32 + 2 * t;
          for (int r = 0; r < 4; r++) {  // the kernel's uint4: halves 2r (low) and 2r + 1 (high) of register r
            const size_t v = (at * 32 + lane) * 8 + 2 * r;
            w.a[lane][r] = (uint32_t)values[v] | (uint32_t)values[v + 1] << 16;
          }
          w.e[lane] = t < 2 ? meta[at * 16 + g * 2 + t] : 0u;
          for (int j = 0; j < 4; j++) w.b[lane][j] = (uint32_t)x_bits(n, k0 + 8 * j) | (uint32_t)x_bits(n, k0 + 8 * j + 1) << 16;
        }
        if (!mma_sp_m16n8k32(w)) return false;
      }
      for (int lane = 0; lane < 32; lane++) {
        const int g = lane >> 2, t = lane & 3;
        for (int i = 0; i < 4; i++) {
          const int r = tile * 16 + g + (i >= 2 ? 8 : 0), n = n0 + 2 * t + (i & 1);
          if (r < rows && n < batch) out[(size_t)n * rows + r] = w.d[lane][i];
        }
      }
    }
  }
  return true;
}

// Exact in FP16 (multiples of 1/8 in (-4, 4)), so every product and sum below is exact in double.
float exact_value() { return (float)((int)(rng() % 63) - 31) / 8.0f; }

// A random 2:4 matrix with every kind of group: 0, 1 or 2 non-zeros at any positions (the last group may be short).
std::vector<float> random_24(int rows, int cols) {
  std::vector<float> w((size_t)rows * cols, 0.0f);
  for (int r = 0; r < rows; r++) {
    for (int c0 = 0; c0 < cols; c0 += 4) {
      const int width = cols - c0 < 4 ? cols - c0 : 4, drawn = (int)(rng() % 3), keep = drawn < width ? drawn : width;
      int picked = 0;
      for (int i = 0; i < width; i++) {
        if (picked < keep && (rng() % 2 == 0 || width - i <= keep - picked)) {
          float v = exact_value();
          w[(size_t)r * cols + c0 + i] = v == 0.0f ? 0.5f : v;
          picked++;
        }
      }
    }
  }
  return w;
}

std::vector<double> reference(const std::vector<float>& w, const std::vector<float>& x, int rows, int cols, int batch) {
  std::vector<double> out((size_t)batch * rows, 0.0);
  for (int n = 0; n < batch; n++)
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) out[(size_t)n * rows + r] += (double)w[(size_t)r * cols + c] * x[(size_t)n * cols + c];
  return out;
}

void check_emulated_matmul() {
  const int shapes[][2] = {{16, 32}, {37, 75}, {50, 70}, {130, 4}, {9, 257}, {64, 1030}};
  for (auto& s : shapes) {
    const int rows = s[0], cols = s[1];
    const std::vector<float> w = random_24(rows, cols);
    std::vector<uint16_t> values(sjc::pack24_values(rows, cols), 0xffff);  // poisoned: every entry is written
    std::vector<uint32_t> meta(sjc::pack24_meta(rows, cols), 0xffffffffu);
    const std::string why = sjc::pack24(w.data(), rows, cols, values.data(), meta.data());
    for (int batch : {1, 7, 9, 16, 33}) {
      std::vector<float> x((size_t)batch * cols);
      for (auto& v : x) v = exact_value();
      std::vector<double> got;
      const bool valid = why.empty() && emulate_kernel(values, meta, x, rows, cols, batch, got);
      const std::vector<double> want = reference(w, x, rows, cols, batch);
      size_t bad = 0;
      for (size_t i = 0; valid && i < want.size(); i++) bad += !(got[i] == want[i]);
      expect(valid && bad == 0, "emulated mma.sp " + std::to_string(rows) + "x" + std::to_string(cols) + " batch " +
                                    std::to_string(batch) + (valid ? ": " + std::to_string(bad) + " wrong" : ": invalid"));
    }
  }
}

// A check that cannot fail proves nothing: the emulation must reject the two plausible misreadings of the
// metadata figure, the other candidate layout (word of lane (g, t) = row g + 8t, all 8 groups, as the .u8/.s8
// variant lays it out) and words with their two row halves swapped.
void check_wrong_metadata_is_caught() {
  const int rows = 32, cols = 64, batch = 8;
  const std::vector<float> w = random_24(rows, cols);
  std::vector<float> x((size_t)batch * cols);
  for (auto& v : x) v = exact_value();
  std::vector<uint16_t> values(sjc::pack24_values(rows, cols));
  std::vector<uint32_t> meta(sjc::pack24_meta(rows, cols));
  sjc::pack24(w.data(), rows, cols, values.data(), meta.data());
  const std::vector<double> want = reference(w, x, rows, cols, batch);
  std::vector<uint32_t> other = meta, swapped = meta;
  for (size_t at = 0; at < meta.size() / 16; at++)
    for (int g = 0; g < 8; g++)
      for (int t = 0; t < 2; t++) {
        const uint32_t lo = meta[at * 16 + g * 2], hi = meta[at * 16 + g * 2 + 1];  // groups 0-3, 4-7
        other[at * 16 + g * 2 + t] = (lo >> (16 * t) & 0xffffu) | (hi >> (16 * t) & 0xffffu) << 16;
      }
  for (auto& m : swapped) m = m >> 16 | m << 16;
  std::vector<double> got;
  expect(emulate_kernel(values, meta, x, rows, cols, batch, got) && got == want, "control: the packed metadata");
  expect(!emulate_kernel(values, other, x, rows, cols, batch, got) || got != want,
         "the other candidate layout (row g + 8t per word) gives a wrong product");
  expect(!emulate_kernel(values, swapped, x, rows, cols, batch, got) || got != want,
         "metadata with swapped row halves gives a wrong product");
}

void check_refuses_non_24() {
  const int rows = 3, cols = 9;
  std::vector<float> w((size_t)rows * cols, 0.0f);
  w[1 * cols + 4] = w[1 * cols + 5] = w[1 * cols + 7] = 1.0f;  // row 1, columns 4..7: three non-zeros
  std::vector<uint16_t> values(sjc::pack24_values(rows, cols), 0x1234);
  std::vector<uint32_t> meta(sjc::pack24_meta(rows, cols), 0x5678u);
  const std::string why = sjc::pack24(w.data(), rows, cols, values.data(), meta.data());
  bool untouched = true;
  for (uint16_t v : values) untouched &= v == 0x1234;
  for (uint32_t m : meta) untouched &= m == 0x5678u;
  expect(why == "2:4 pack: row 1 has 3 non-zeros in columns 4..7" && untouched,
         "non-2:4 input refused with its row and columns, nothing written (\"" + why + "\")");
}

void check_f16_rounding() {
  struct Case {
    float in;
    uint16_t want;
  } cases[] = {{1.0f, 0x3c00},          {-2.0f, 0xc000},           {65504.0f, 0x7bff},      {65519.0f, 0x7bff},
               {65520.0f, 0x7c00},      {1e6f, 0x7c00},            {-0.0f, 0x8000},         {0.0f, 0x0000},
               {1.0f + 0x1p-11f, 0x3c00}, {1.0f + 0x3p-11f, 0x3c02}, {0x1p-14f, 0x0400},      {0x1p-24f, 0x0001},
               {0x1p-25f, 0x0000},      {0x3p-25f, 0x0002},        {0x1.fffp-15f, 0x0400}, {0x1.ff8p-15f, 0x03ff},  {INFINITY, 0x7c00},
               {-INFINITY, 0xfc00}};
  bool ok = true;
  for (const Case& c : cases) {
    const uint16_t got = sjc::f16_bits(c.in);
    if (got != c.want) {
      ok = false;
      std::printf("  f16_bits(%a) = 0x%04x, want 0x%04x\n", (double)c.in, got, c.want);
    }
  }
  ok &= std::isnan(half_value(sjc::f16_bits(NAN)));
  // Random finite values in range: the result is the nearest binary16, ties to the even one.
  std::uniform_real_distribution<float> u(-70000.0f, 70000.0f);
  for (int i = 0; i < 200000 && ok; i++) {
    const float v = i % 2 ? u(rng) : std::ldexp(u(rng) / 70000.0f, -(int)(rng() % 30));
    const uint16_t h = sjc::f16_bits(v);
    const double got = half_value(h), err = std::fabs(got - v);
    if (std::fabs(v) >= 65520.0f) {  // beyond the largest half and its rounding band
      ok &= std::isinf(got) && (got < 0) == (v < 0);
      continue;
    }
    for (int step : {-1, 1}) {  // the neighbours (same sign, |bits| +- 1) must not be closer
      const int mag = (h & 0x7fff) + step;
      if (mag < 0 || mag > 0x7bff) continue;
      const double other = half_value((uint16_t)((h & 0x8000) | mag)), oerr = std::fabs(other - v);
      if (oerr < err || (oerr == err && (h & 1))) ok = false;
    }
    if (std::fabs(v) < 65504.0f && std::isinf(got)) ok = false;
    if (!ok) std::printf("  f16_bits(%a) = 0x%04x (%g) is not the nearest\n", (double)v, h, got);
  }
  expect(ok, "FP16 rounding: nearest even, overflow to infinity, subnormals, NaN");
}

}  // namespace

int main() {
  check_emulated_matmul();
  check_wrong_metadata_is_caught();
  check_refuses_non_24();
  check_f16_rounding();
  std::printf("%s: %d failure(s)\n", failures == 0 ? "ALL PASS" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}
