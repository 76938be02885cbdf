// One BF16 or F16 value as a float, exactly, without F16C: the scalar tails of the half kernels and the Q8_0/Q4_0
// block scales on ISAs without a conversion instruction.
#pragma once
#include <cstdint>
#include <cstring>

namespace {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float f16_to_f32(uint16_t h) {
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

}  // namespace
