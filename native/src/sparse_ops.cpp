// The C API of spmv_bitmask.h, sparse24.h and quantize.h: splits rows over the thread pool with equal shares of
// bytes to read, and calls the active ISA's sparse kernels.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels.h"
#include "sparsej/dispatch.h"
#include "thread_pool.h"
#include "sparsej/quantize.h"
#include "sparsej/sparse24.h"
#include "sparsej/spmv_bitmask.h"

namespace {

constexpr long kMinParallelWork = 1L << 15;  // multiply-adds below which one thread is faster

// A growable float buffer on 64-byte boundaries.
class AlignedFloats {
 public:
  ~AlignedFloats() { std::free(data_); }
  float* reserve(size_t n) {
    if (n > size_) {
      std::free(data_);
      data_ = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
      size_ = n;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t size_ = 0;
};

int threads_for(long work) { return work < kMinParallelWork ? 1 : sj::configured_threads(); }

// Rows [r0, r1) for thread t of nt. Bitmask rows differ in kept values, so the split balances bytes read:
// value bytes up to row r (offsets[r] * value_bytes) plus mask bytes (r * stride); 2:4 rows are all alike.
void balanced_rows(const sj::SparseMat& w, int value_bytes, int t, int nt, int* r0, int* r1) {
  if (w.offsets == nullptr) {
    *r0 = (int)((long)w.rows * t / nt);
    *r1 = (int)((long)w.rows * (t + 1) / nt);
    return;
  }
  const long per_row = w.meta_stride() + 16;  // mask bytes plus a fixed per-row cost
  auto cost = [&](int r) { return (long)w.offsets[r] * value_bytes + r * per_row; };
  const long total = cost(w.rows);
  auto first_row_at = [&](long target) {  // smallest r with cost(r) >= target
    int lo = 0, hi = w.rows;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (cost(mid) < target) lo = mid + 1; else hi = mid;
    }
    return lo;
  };
  *r0 = t == 0 ? 0 : first_row_at(total * t / nt);
  *r1 = t == nt - 1 ? w.rows : first_row_at(total * (t + 1) / nt);
}

void run_rows(sj::SparseRowsFn fn, const sj::SparseMat& w, const sj::Activations& a, float* out, int value_bytes) {
  sj::parallel(threads_for((long)a.batch * w.rows * w.cols), [&](int t, int nt) {
    int r0, r1;
    balanced_rows(w, value_bytes, t, nt, &r0, &r1);
    if (r0 < r1) fn(w, a, out, r0, r1);
  });
}

// Every batch runs the row kernels, whose per-token sums do not depend on the batch (sparse_rows_common.h); the
// tiled prefill kernels they replaced summed in another order (see docs/serving.md for the cost).
void run_f32(sj::SparseRowsFn rows_fn, const sj::SparseMat& w, const float* x, int batch, float* out,
             int value_bytes) {
  // The row kernels read x once per row: a copy on 64-byte boundaries keeps every vector load within a cache line.
  static thread_local AlignedFloats xa;
  const int ldx = (w.cols + 15) / 16 * 16;
  float* copy = xa.reserve((size_t)batch * ldx);
  for (int b = 0; b < batch; b++) std::memcpy(copy + (size_t)b * ldx, x + (size_t)b * w.cols, w.cols * 4);
  run_rows(rows_fn, w, sj::Activations{copy, nullptr, nullptr, batch, ldx}, out, value_bytes);
}

}  // namespace

extern "C" {

void sj_bitmask_matmul_f32(float* out, const float* x, int batch, int rows, int cols, const uint8_t* bitmask,
                           const int32_t* offsets, const float* values) {
  const sj::SparseKernelTable& k = *sj::kernels().sparse;
  sj::SparseMat w{rows, cols, bitmask, offsets, values, nullptr, nullptr};
  run_f32(k.bitmask_f32, w, x, batch, out, 4);
}

void sj_bitmask_matmul_i8(float* out, const float* x, int batch, int rows, int cols, const uint8_t* bitmask,
                          const int32_t* offsets, const int8_t* values, const float* scales) {
  const sj::SparseKernelTable& k = *sj::kernels().sparse;
  sj::SparseMat w{rows, cols, bitmask, offsets, values, scales, nullptr};
  run_f32(k.bitmask_i8, w, x, batch, out, 1);
}

void sj_bitmask_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, int batch, int rows, int cols,
                            const uint8_t* bitmask, const int32_t* offsets, const int8_t* values,
                            const float* scales, const int32_t* row_sums) {
  sj::SparseMat w{rows, cols, bitmask, offsets, values, scales, row_sums};
  run_rows(sj::kernels().sparse->bitmask_w8a8, w, sj::Activations{nullptr, xq, x_scales, batch, cols}, out,
           1);
}

void sj_sparse24_matmul_f32(float* out, const float* x, int batch, int rows, int cols, const float* values,
                            const uint8_t* indices) {
  const sj::SparseKernelTable& k = *sj::kernels().sparse;
  sj::SparseMat w{rows, cols, indices, nullptr, values, nullptr, nullptr};
  run_f32(k.sparse24_f32, w, x, batch, out, 4);
}

void sj_sparse24_matmul_i8(float* out, const float* x, int batch, int rows, int cols, const int8_t* values,
                           const uint8_t* indices, const float* scales) {
  const sj::SparseKernelTable& k = *sj::kernels().sparse;
  sj::SparseMat w{rows, cols, indices, nullptr, values, scales, nullptr};
  run_f32(k.sparse24_i8, w, x, batch, out, 1);
}

void sj_sparse24_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, int batch, int rows, int cols,
                             const int8_t* values, const uint8_t* indices, const float* scales,
                             const int32_t* row_sums) {
  sj::SparseMat w{rows, cols, indices, nullptr, values, scales, row_sums};
  run_rows(sj::kernels().sparse->sparse24_w8a8, w, sj::Activations{nullptr, xq, x_scales, batch, cols}, out,
           1);
}

void sj_quantize_rows_i8(int8_t* q, float* scales, const float* x, int batch, int cols) {
  const sj::SparseKernelTable& k = *sj::kernels().sparse;
  sj::parallel(threads_for((long)batch * cols * 8), [&](int t, int nt) {
    for (int b = (int)((long)batch * t / nt); b < (int)((long)batch * (t + 1) / nt); b++) {
      const float* row = x + (size_t)b * cols;
      float amax = k.absmax(row, cols);
      float inv = amax > 0 ? 127.0f / amax : 0.0f;
      scales[b] = amax > 0 ? amax / 127.0f : 1.0f;
      k.quantize_row(q + (size_t)b * cols, row, inv, cols);
    }
  });
}

}  // extern "C"
