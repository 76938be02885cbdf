// Lookup tables for ISAs without an expand instruction (AVX2): for each 8-bit mask, where the packed values
// go. Plain data, built at compile time, shared by every ISA file.
#pragma once
#include <cstdint>

namespace sj {

struct ExpandLut {
  // idx[m][j]: index of the packed value that lands in lane j (0 where bit j of m is clear).
  int32_t idx[256][8];
  // bytes[m]: the same as a pshufb control over 8 bytes, 0x80 (zero the byte) where bit j is clear.
  uint64_t bytes[256];
};

constexpr ExpandLut make_expand_lut() {
  ExpandLut t{};
  for (int m = 0; m < 256; m++) {
    int k = 0;
    uint64_t b = 0;
    for (int j = 0; j < 8; j++) {
      bool on = (m >> j) & 1;
      t.idx[m][j] = on ? k : 0;
      b |= (uint64_t)(on ? k : 0x80) << (8 * j);
      if (on) k++;
    }
    t.bytes[m] = b;
  }
  return t;
}

inline constexpr ExpandLut kExpandLut = make_expand_lut();

}  // namespace sj
