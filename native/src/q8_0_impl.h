// ISA-generic Q8_0 row kernels. Each q8_0_<isa>.cpp includes this inside its own target region with V set to
// vector traits that add load_i8 (W int8 values widened to W floats) to the dense traits.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

namespace {

constexpr int kQ8Block = 32;
constexpr int kQ8BlockBytes = 34;

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
template <class V>
inline void q8_dot4(const uint8_t* w, size_t row_bytes, const float* x, int nb, float* s) {
  using R = typename V::reg;
  constexpr int kRegs = kQ8Block / V::W;
  R acc0 = V::zero(), acc1 = V::zero(), acc2 = V::zero(), acc3 = V::zero();
  for (int k = 0; k < nb; k++) {
    R xv[kRegs];
    for (int i = 0; i < kRegs; i++) xv[i] = V::load(x + (size_t)k * kQ8Block + i * V::W);
    const uint8_t* b0 = w + (size_t)k * kQ8BlockBytes;
    const uint8_t* b1 = b0 + row_bytes;
    const uint8_t* b2 = b1 + row_bytes;
    const uint8_t* b3 = b2 + row_bytes;
    R s0 = V::zero(), s1 = V::zero(), s2 = V::zero(), s3 = V::zero();
    for (int i = 0; i < kRegs; i++) {
      s0 = V::fma(V::load_i8((const int8_t*)(b0 + 2) + i * V::W), xv[i], s0);
      s1 = V::fma(V::load_i8((const int8_t*)(b1 + 2) + i * V::W), xv[i], s1);
      s2 = V::fma(V::load_i8((const int8_t*)(b2 + 2) + i * V::W), xv[i], s2);
      s3 = V::fma(V::load_i8((const int8_t*)(b3 + 2) + i * V::W), xv[i], s3);
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

template <class V>
inline float q8_dot1(const uint8_t* w, const float* x, int nb) {
  using R = typename V::reg;
  constexpr int kRegs = kQ8Block / V::W;
  R acc = V::zero();
  for (int k = 0; k < nb; k++) {
    const uint8_t* b = w + (size_t)k * kQ8BlockBytes;
    R s = V::zero();
    for (int i = 0; i < kRegs; i++)
      s = V::fma(V::load_i8((const int8_t*)(b + 2) + i * V::W), V::load(x + (size_t)k * kQ8Block + i * V::W), s);
    acc = V::fma(V::set1(q8_f16_to_f32(b)), s, acc);
  }
  return V::sum(acc);
}

// Rows [r0, r1) of out = x · Wᵀ for a Q8_0 weight.
template <class V>
void matmul_q8_0_rows(float* out, const float* x, const uint8_t* w, int batch, int rows, int cols, int r0, int r1) {
  const int nb = cols / kQ8Block;
  const size_t row_bytes = (size_t)nb * kQ8BlockBytes;
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    for (int b = 0; b < batch; b++) {
      float s[4];
      q8_dot4<V>(w + (size_t)r * row_bytes, row_bytes, x + (size_t)b * cols, nb, s);
      float* o = out + (size_t)b * rows + r;
      o[0] = s[0]; o[1] = s[1]; o[2] = s[2]; o[3] = s[3];
    }
  }
  for (; r < r1; r++)
    for (int b = 0; b < batch; b++)
      out[(size_t)b * rows + r] = q8_dot1<V>(w + (size_t)r * row_bytes, x + (size_t)b * cols, nb);
}

}  // namespace
