// Scalar "vector" of width 1: the portable fallback and reference for the SIMD traits.
#pragma once
#include <cmath>

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
  static inline reg div(reg a, reg b) { return a / b; }
  static inline reg sub(reg a, reg b) { return a - b; }
  // max/min as MAXSS/MINSS: b when either is NaN.
  static inline reg max(reg a, reg b) { return a > b ? a : b; }
  static inline reg min(reg a, reg b) { return a < b ? a : b; }
  static inline reg round(reg a) { return std::nearbyint(a); }
  static inline reg scale2(reg a, reg n) { return std::ldexp(a, (int)n); }
  // Never called: W = 1 has no partial vector.
  static inline reg load_first(const float* p, int n, float fill) { return n > 0 ? *p : fill; }
  static inline void store_first(float* p, reg v, int n) { if (n > 0) *p = v; }
  static inline float max_of(reg a) { return a; }
  static inline reg sum_each(const reg* a) { return a[0]; }
  static inline float sum(reg a) { return a; }
};
}  // namespace
