// The sparse kernels of one ISA (sj::sparse_<isa>, sparse_<isa>.cpp): sparse_ops.cpp calls the active row
// (kernels.h). Each kernel computes rows [r0, r1) of out [batch][rows] on one thread.
#pragma once
#include <cstdint>

#include "sparse_mat.h"

namespace sj {

using SparseRowsFn = void (*)(const SparseMat& w, const Activations& x, float* out, int r0, int r1);
struct SparseKernelTable {
  const char* name;
  SparseRowsFn bitmask_f32;      // f32 activations (any batch: a token's sums never depend on it)
  SparseRowsFn bitmask_i8;
  SparseRowsFn bitmask_w8a8;     // int8 activations (any batch)
  SparseRowsFn sparse24_f32;
  SparseRowsFn sparse24_i8;
  SparseRowsFn sparse24_w8a8;
  // q[c] = round(x[c] * inv), c < n
  void (*quantize_row)(int8_t* q, const float* x, float inv, int n);
  float (*absmax)(const float* x, int n);
};

}  // namespace sj
