// Scalar sparse traits: one column per step. The reference the SIMD traits must agree with.
#pragma once
#include <cstdint>
#include <cstdlib>

#include "simd_scalar.h"

namespace {

struct SparseScalar : VecScalar {
  static constexpr int kI8Block = 0;  // no wide int8 expand: int8 rows go W columns at a time
  static constexpr int kPrefetchBytes = 0;  // the reference stays plain loops
  static constexpr int kDecodeRows24 = 1;
  // Bitmask: the dense value of one column whose mask bit is m, consuming the packed value if kept.
  static inline float expand_f32(uint32_t m, const float*& p) { return m ? *p++ : 0.0f; }
  static inline float expand_i8(uint32_t m, const int8_t*& p) { return m ? (float)*p++ : 0.0f; }
  static inline float load_vals(const float* v) { return *v; }
  static inline float load_vals(const int8_t* v) { return (float)*v; }
  // 2:4: the activation matching one stored value, x at its group's first column, meta its 2-bit index.
  static inline float select24(const float* x, uint32_t meta) { return x[meta & 3]; }
};

// W8A8, 8 columns (bitmask) or 8 values (2:4) per step. Weights are unpacked once per step (expand / s24_select)
// and then meet each token's activations (dot / s24_dot), so a batch reuses the unpacking.
struct I8Scalar {
  using Dense = I8Scalar;  // dense W8A8 rows take the same traits (w8a8_dense_impl.h)
  using acc = int32_t;
  static constexpr int QB = 8;
  static constexpr bool kOffset = false;
  static constexpr int kPrefetchBytes = 0;
  struct Block {
    int8_t w[QB];
  };
  struct Selected {
    int8_t w[QB / 2];
    uint8_t col[QB / 2];
  };
  static inline acc zero() { return 0; }
  static inline int32_t sum(acc a) { return a; }
  static inline Block expand(uint64_t m, const int8_t*& p) {
    Block b;
    for (int j = 0; j < QB; j++) b.w[j] = ((m >> j) & 1) ? *p++ : 0;
    return b;
  }
  static inline acc dot(acc a, const Block& b, const int8_t* x) {
    for (int j = 0; j < QB; j++) a += (int32_t)b.w[j] * x[j];
    return a;
  }
  // QB/2 values v covering QB columns (QB/4 groups); meta holds their 2-bit indices.
  static inline Selected s24_select(const int8_t* v, uint64_t meta) {
    Selected s;
    for (int k = 0; k < QB / 2; k++) {
      s.w[k] = v[k];
      s.col[k] = (uint8_t)(4 * (k / 2) + ((meta >> (2 * k)) & 3));
    }
    return s;
  }
  static inline acc s24_dot(acc a, const Selected& s, const int8_t* x) {
    for (int k = 0; k < QB / 2; k++) a += (int32_t)s.w[k] * x[s.col[k]];
    return a;
  }
};

}  // namespace
