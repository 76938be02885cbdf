// The own 2:4 kernel's weight layout (sparse24_pack.h; the kernel that reads it is sparse24_mma.cu). For every
// 16-row tile and 32-column chunk of W, as mma.sp.m16n8k32 (.f16, sparsity selector 0) takes its operand A:
//   values [tile][chunk][32 lanes][8] FP16: lane l = 4g + t holds, in register order, the two kept values of
//     (row g, group t), (row g + 8, group t), (row g, group t + 4), (row g + 8, group t + 4), a group being 4
//     columns (PTX ISA, "Matrix Fragments for sparse mma.m16n8k32 with .f16 and .bf16 types", multiplicand A);
//   meta [tile][chunk][16] uint32: word 2g + t (lanes t = 0, 1 supply it) holds in bits 0-15 row g's groups
//     4t..4t+3 and in bits 16-31 row g + 8's, 4 bits per group (PTX ISA figure "Sparse MMA .m16n8k32 metadata
//     layout for .f16/.bf16 type"; docs/cuda.md gives the evidence for this reading).
// Each group's 4 bits are its two kept positions (0-3), the first in the low 2 bits and ascending, as
// ::ordered_metadata requires; a group with fewer than two non-zeros keeps a zero at an unused position.
#include "sparse24_pack.h"

#include <cmath>
#include <cstring>

namespace sjc {
namespace {

int tiles(int n, int tile) { return (n + tile - 1) / tile; }

// The two kept positions (ascending) of the group at columns c0..c0+3 of row r, and their values.
void group_of(const float* w, int rows, int cols, int r, int c0, int idx[2], float val[2]) {
  int n = 0;
  idx[0] = 0;
  idx[1] = 1;
  val[0] = val[1] = 0.0f;
  for (int i = 0; i < 4 && n < 2; i++) {
    const int c = c0 + i;
    const float v = r < rows && c < cols ? w[(size_t)r * cols + c] : 0.0f;
    if (v != 0.0f) {
      idx[n] = i;
      val[n] = v;
      n++;
    }
  }
  if (n == 1) {  // one non-zero: pair it with a zero at another position, keeping the indices ascending
    if (idx[0] == 3) {
      idx[1] = 3;
      val[1] = val[0];
      idx[0] = 2;
      val[0] = 0.0f;
    } else {
      idx[1] = idx[0] + 1;
      val[1] = 0.0f;
    }
  }
}

}  // namespace

uint16_t f16_bits(float v) {
  uint32_t x;
  std::memcpy(&x, &v, 4);
  const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));  // inf, NaN
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  // 65520 and up round to infinity
  if (ax < 0x38800000u) {  // below 2^-14: a subnormal half, v * 2^24 rounded (exact scaling, then nearest even)
    float a;
    std::memcpy(&a, &ax, 4);
    return (uint16_t)(sign | (uint16_t)std::nearbyint(a * 16777216.0f));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even; a carry is correct.
  return (uint16_t)(sign | (uint16_t)((ax + 0xfffu + ((ax >> 13) & 1u) - 0x38000000u) >> 13));
}

int64_t pack24_values(int rows, int cols) { return (int64_t)tiles(rows, 16) * tiles(cols, 32) * 32 * 8; }

int64_t pack24_meta(int rows, int cols) { return (int64_t)tiles(rows, 16) * tiles(cols, 32) * 16; }

std::string pack24(const float* w, int rows, int cols, uint16_t* values, uint32_t* meta) {
  for (int r = 0; r < rows; r++) {  // refuse what is not 2:4, before anything is written
    for (int c0 = 0; c0 < cols; c0 += 4) {
      int nonzero = 0;
      for (int c = c0; c < c0 + 4 && c < cols; c++) nonzero += w[(size_t)r * cols + c] != 0.0f;
      if (nonzero > 2)
        return "2:4 pack: row " + std::to_string(r) + " has " + std::to_string(nonzero) + " non-zeros in columns " +
               std::to_string(c0) + ".." + std::to_string(c0 + 3);
    }
  }
  const int chunks = tiles(cols, 32);
  for (int tile = 0; tile < tiles(rows, 16); tile++) {
    for (int kc = 0; kc < chunks; kc++) {
      const size_t at = (size_t)tile * chunks + kc;
      // Compressed 16 x 16 values (group j's two kept values at 2j, 2j + 1) and 16 x 8 position nibbles.
      float cv[16][16];
      uint32_t nibble[16][8];
      for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 8; j++) {
          int idx[2];
          float val[2];
          group_of(w, rows, cols, tile * 16 + i, kc * 32 + 4 * j, idx, val);
          cv[i][2 * j] = val[0];
          cv[i][2 * j + 1] = val[1];
          nibble[i][j] = (uint32_t)idx[0] | (uint32_t)idx[1] << 2;
        }
      }
      for (int lane = 0; lane < 32; lane++) {
        const int g = lane >> 2, t = lane & 3;
        const float frag[8] = {cv[g][2 * t],     cv[g][2 * t + 1],     cv[g + 8][2 * t],     cv[g + 8][2 * t + 1],
                               cv[g][2 * t + 8], cv[g][2 * t + 9], cv[g + 8][2 * t + 8], cv[g + 8][2 * t + 9]};
        for (int i = 0; i < 8; i++) values[(at * 32 + lane) * 8 + i] = f16_bits(frag[i]);
        if (t >= 2) continue;
        uint32_t word = 0;
        for (int n = 0; n < 4; n++) word |= nibble[g][4 * t + n] << (4 * n) | nibble[g + 8][4 * t + n] << (16 + 4 * n);
        meta[at * 16 + g * 2 + t] = word;
      }
    }
  }
  return "";
}

}  // namespace sjc
