// ISA-generic dense int8 row kernels (gemm_int8.h). Each int8_<isa>.cpp includes this inside its own target region
// with F = float traits plus load_i8 (W int8 values widened to W floats) and Q = the W8A8 int8 traits of the
// sparse kernels (simd_sparse_<isa>.h: Block, dot, sum; kOffset when activations arrive as x + 128).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dense_tile_impl.h"
#include "int8_table.h"
#include "w8a8_dense_impl.h"

namespace {

// W8A16 weights as the dense kernels read them: W int8 values widened to W floats in registers.
template <class F>
struct I8Weights {
  using elem = int8_t;
  static inline typename F::reg load(const int8_t* p) { return F::load_i8(p); }
  static inline float one(int8_t v) { return (float)v; }
};

// Sums before the row scale, then out = scale · sum: decode one row after another, prefill the batch kernel.
template <class F>
void w8a16_rows(float* out, const float* x, const int8_t* w, const float* scales, int batch, int rows, int cols,
                int r0, int r1) {
  if (batch == 1) {
    for (int r = r0; r < r1; r++) out[r] = scales[r] * widened_dot<F, I8Weights<F>>(w + (size_t)r * cols, x, cols);
    return;
  }
  tiled_rows<F, I8Weights<F>>(out, x, w, batch, rows, cols, r0, r1,
                              [scales](int r, float s) { return scales[r] * s; });
}

// Decode (batch 1) one row after another, one stream; a batch kW8A8BatchRows rows at a time.
template <class Q>
void w8a8_rows(float* out, const int8_t* xs, const float* x_scales, const int8_t* w, const float* scales,
               const int32_t* row_sums, int batch, int rows, int cols, int r0, int r1) {
  constexpr int NR = kW8A8BatchRows<Q>;
  int r = r0;
  if (batch > 1)
    for (; r + NR <= r1; r += NR)
      w8a8_row_group<Q, NR>(out, xs, x_scales, w + (size_t)r * cols, scales, row_sums, batch, rows, cols, r);
  for (; r < r1; r++)
    w8a8_row_group<Q, 1>(out, xs, x_scales, w + (size_t)r * cols, scales, row_sums, batch, rows, cols, r);
}

template <class F, class Q>
constexpr sj::Int8KernelTable make_int8_table(const char* name) {
  return sj::Int8KernelTable{name, Q::kOffset, &w8a16_rows<F>, &w8a8_rows<Q>};
}

}  // namespace
