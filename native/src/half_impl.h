// ISA-generic BF16/F16 row kernels. Each half_<isa>.cpp includes this inside its target region with V the dense
// traits plus widen_bf16 / widen_f16 (W 16-bit weights to W floats). Decode is kernels_impl.h's dot_f32 with the
// weight load widened, prefill the F32 batch kernel (dense_tile_impl.h) on panels widened once, so a half weight
// gives bit for bit what the F32 kernel gives on its widened copy, and a row's result never depends on the batch.
#pragma once
#include <cstddef>
#include <cstdint>

#include "dense_tile_impl.h"
#include "half_bits.h"
#include "half_table.h"

namespace {

// The weight type: how W values are widened, in vectors and one at a time (tails).
template <class V> struct Bf16 {
  using elem = uint16_t;
  static inline typename V::reg load(const uint16_t* p) { return V::widen_bf16(p); }
  static inline float one(uint16_t h) { return bf16_to_f32(h); }
};
template <class V> struct F16 {
  using elem = uint16_t;
  static inline typename V::reg load(const uint16_t* p) { return V::widen_f16(p); }
  static inline float one(uint16_t h) { return f16_to_f32(h); }
};

// Rows [r0, r1) of out = x · Wᵀ: decode streams one row after another, prefill runs the F32 batch kernel.
template <class V, class H>
void half_rows(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols, int r0, int r1) {
  if (batch == 1) {
    for (int r = r0; r < r1; r++) out[r] = widened_dot<V, H>(w + (size_t)r * cols, x, cols);
    return;
  }
  tiled_rows<V, H>(out, x, w, batch, rows, cols, r0, r1, [](int, float s) { return s; });
}

template <class V>
constexpr sj::HalfTable make_half_table(const char* name) {
  return sj::HalfTable{name, &half_rows<V, Bf16<V>>, &half_rows<V, F16<V>>};
}

}  // namespace
