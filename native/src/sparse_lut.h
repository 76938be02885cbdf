// Lookup tables: for ISAs without an expand instruction (AVX2), for each 8-bit mask, where the packed values go;
// for every ISA, the column mask bits of each byte of 2:4 indices. Plain data, built at compile time, shared by
// every ISA file.
#pragma once
#include <cstdint>

namespace sj {

struct ExpandLut {
  // bytes[m]: byte j is the index of the packed value that lands in lane j, 0x80 where bit j of m is clear: a
  // pshufb control over 8 bytes (0x80 zeroes the byte), and sign-extended a vpermps index whose sign bit drives
  // vblendvps (vpermps reads only the low 3 bits).
  uint64_t bytes[256];
  // bytes_hi[m]: bytes[m] with 8 added to the kept indices, for the upper 8 bytes of a 16-byte pshufb.
  uint64_t bytes_hi[256];
};

constexpr ExpandLut make_expand_lut() {
  ExpandLut t{};
  for (int m = 0; m < 256; m++) {
    int k = 0;
    uint64_t b = 0, h = 0;
    for (int j = 0; j < 8; j++) {
      bool on = (m >> j) & 1;
      b |= (uint64_t)(on ? k : 0x80) << (8 * j);
      h |= (uint64_t)(on ? k + 8 : 0x80) << (8 * j);
      if (on) k++;
    }
    t.bytes[m] = b;
    t.bytes_hi[m] = h;
  }
  return t;
}

inline constexpr ExpandLut kExpandLut = make_expand_lut();

// 2:4 indices as column mask bits: one index byte (two groups' four 2-bit indices, each group's increasing) gives
// its 8 columns' bits, so a 2:4 row reads as a bitmask row with exactly two bits per group of 4.
struct S24MaskTable {
  uint8_t bits[256];
  constexpr S24MaskTable() : bits() {
    for (int b = 0; b < 256; b++)
      bits[b] = (uint8_t)((1 << (b & 3)) | (1 << ((b >> 2) & 3)) | (((1 << ((b >> 4) & 3)) | (1 << (b >> 6))) << 4));
  }
};

inline constexpr S24MaskTable kS24Mask{};

}  // namespace sj
