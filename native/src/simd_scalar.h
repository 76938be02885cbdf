// Scalar "vector" of width 1: the portable fallback and reference for the SIMD traits.
#pragma once

namespace {
struct VecScalar {
  using reg = float;
  static constexpr int W = 1;
  static inline reg zero() { return 0.0f; }
  static inline reg set1(float v) { return v; }
  static inline reg load(const float* p) { return *p; }
  static inline void store(float* p, reg v) { *p = v; }
  static inline reg add(reg a, reg b) { return a + b; }
  static inline reg mul(reg a, reg b) { return a * b; }
  static inline reg fma(reg a, reg b, reg acc) { return a * b + acc; }
  static inline float sum(reg a) { return a; }
};
}  // namespace
