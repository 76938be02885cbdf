// ISA-generic row kernels of the ggml block formats Q8_0 and Q4_0 (32 weights and one f16 scale per block). Each
// q8_0_<isa>.cpp includes this inside its own target region with V set to vector traits that add to the dense
// traits load_i8 (W int8 values widened to W floats) and load_u4 (W nibbles, (p[j] >> shift) & 15, minus 8, as
// floats).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

namespace {

constexpr int kQ8Block = 32;

// How one block stores its 32 values; load<V>(block, i) widens values [i*W, (i+1)*W) to floats. The f16 scale
// is the block's first two bytes in both.
struct BlockQ8_0 {
  static constexpr int kBytes = 34;  // d, then 32 int8
  template <class V>
  static inline typename V::reg load(const uint8_t* b, int i) {
    return V::load_i8((const int8_t*)(b + 2) + i * V::W);
  }
};

struct BlockQ4_0 {
  static constexpr int kBytes = 18;  // d, then 16 bytes: value j is the low nibble of byte j, value 16+j the high
  template <class V>
  static inline typename V::reg load(const uint8_t* b, int i) {
    const int e = i * V::W;  // W divides 16, so the W values share one nibble half
    return V::load_u4(b + 2 + (e & 15), (e >> 4) * 4);
  }
};

inline float q8_f16_to_f32(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    float v = (float)mant * 5.9604644775390625e-8f;  // 2^-24: zero or subnormal
    return sign ? -v : v;
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Dot products of four Q8_0 rows (row_bytes apart) with one activation row: each x block is loaded once for
// four rows; per block, int8 values are widened in registers, multiplied with x, and the block sum scaled by d.
template <class V, class B>
inline void block_dot4(const uint8_t* w, size_t row_bytes, const float* x, int nb, float* s) {
  using R = typename V::reg;
  constexpr int kRegs = kQ8Block / V::W;
  R acc0 = V::zero(), acc1 = V::zero(), acc2 = V::zero(), acc3 = V::zero();
  for (int k = 0; k < nb; k++) {
    R xv[kRegs];
    for (int i = 0; i < kRegs; i++) xv[i] = V::load(x + (size_t)k * kQ8Block + i * V::W);
    const uint8_t* b0 = w + (size_t)k * B::kBytes;
    const uint8_t* b1 = b0 + row_bytes;
    const uint8_t* b2 = b1 + row_bytes;
    const uint8_t* b3 = b2 + row_bytes;
    R s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    for (int i = 0; i < kRegs; i++) {
      s0 = V::fma(B::template load<V>(b0, i), xv[i], s0);
      s1 = V::fma(B::template load<V>(b1, i), xv[i], s1);
      s2 = V::fma(B::template load<V>(b2, i), xv[i], s2);
      s3 = V::fma(B::template load<V>(b3, i), xv[i], s3);
    }
    acc0 = V::fma(V::set1(q8_f16_to_f32(b0)), s0, acc0);
    acc1 = V::fma(V::set1(q8_f16_to_f32(b1)), s1, acc1);
    acc2 = V::fma(V::set1(q8_f16_to_f32(b2)), s2, acc2);
    acc3 = V::fma(V::set1(q8_f16_to_f32(b3)), s3, acc3);
  }
  s[0] = V::sum(acc0);
  s[1] = V::sum(acc1);
  s[2] = V::sum(acc2);
  s[3] = V::sum(acc3);
}

template <class V, class B>
inline float block_dot1(const uint8_t* w, const float* x, int nb) {
  using R = typename V::reg;
  constexpr int kRegs = kQ8Block / V::W;
  R acc = V::zero();
  for (int k = 0; k < nb; k++) {
    const uint8_t* b = w + (size_t)k * B::kBytes;
    R s = V::zero();
    for (int i = 0; i < kRegs; i++)
      s = V::fma(B::template load<V>(b, i), V::load(x + (size_t)k * kQ8Block + i * V::W), s);
    acc = V::fma(V::set1(q8_f16_to_f32(b)), s, acc);
  }
  return V::sum(acc);
}

// Rows [r0, r1) of out = x · Wᵀ for a weight of blocks B (Q8_0, Q4_0).
template <class V, class B>
void matmul_block_rows(float* out, const float* x, const uint8_t* w, int batch, int rows, int cols, int r0, int r1) {
  const int nb = cols / kQ8Block;
  const size_t row_bytes = (size_t)nb * B::kBytes;
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    for (int b = 0; b < batch; b++) {
      float s[4];
      block_dot4<V, B>(w + (size_t)r * row_bytes, row_bytes, x + (size_t)b * cols, nb, s);
      float* o = out + (size_t)b * rows + r;
      o[0] = s[0]; o[1] = s[1]; o[2] = s[2]; o[3] = s[3];
    }
  }
  for (; r < r1; r++)
    for (int b = 0; b < batch; b++)
      out[(size_t)b * rows + r] = block_dot1<V, B>(w + (size_t)r * row_bytes, x + (size_t)b * cols, nb);
}

}  // namespace
