// The sparse kernels of one ISA (sj::sparse_<isa>, sparse_<isa>.cpp): sparse_ops.cpp calls the active row
// (kernels.h). Each kernel computes rows [r0, r1) of out [batch][rows] on one thread.
#pragma once
#include <cstdint>

#include "sparse_mat.h"

namespace sj {

using SparseRowsFn = void (*)(const SparseMat& w, const Activations& x, float* out, int r0, int r1);
// Prefill: xt holds the activations transposed in tiles of `tile` tokens, [tiles][cols][tile], where tile is
// tile_for(batch, vector_width) (sparse_rows_common.h).
using SparseTiledFn = void (*)(const SparseMat& w, const float* xt, int batch, int tile, float* out, int r0,
                               int r1);

// Tokens per prefill tile: up to 4 vectors, fewer when the batch is small (no work on empty lanes).
inline int tile_for(int batch, int width) {
  int vectors = (batch + width - 1) / width;
  return width * (vectors < 4 ? vectors : 4);
}

struct SparseKernelTable {
  const char* name;
  int vector_width;              // floats per vector: prefill tiles are 1 to 4 vectors of tokens
  SparseRowsFn bitmask_f32;      // f32 activations, one row at a time (decode)
  SparseRowsFn bitmask_i8;
  SparseRowsFn bitmask_w8a8;     // int8 activations (any batch)
  SparseRowsFn sparse24_f32;
  SparseRowsFn sparse24_i8;
  SparseRowsFn sparse24_w8a8;
  SparseTiledFn bitmask_f32_tiled;  // f32 activations, batch > 1
  SparseTiledFn bitmask_i8_tiled;
  SparseTiledFn sparse24_f32_tiled;
  SparseTiledFn sparse24_i8_tiled;
  // q[c] = round(x[c] * inv), c < n
  void (*quantize_row)(int8_t* q, const float* x, float inv, int n);
  float (*absmax)(const float* x, int n);
};

}  // namespace sj
