// The C API of gemm_int8.h: picks the active ISA's dense int8 kernels and splits rows over the thread pool.
#include <algorithm>
#include <vector>

#include "kernels.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemm_int8.h"
#include "thread_pool.h"

namespace {

constexpr long kMinParallelWork = 1L << 15;  // multiply-adds below which one thread is faster

template <class Body>
void split_rows(int batch, int rows, int cols, Body body) {
  const long work = (long)batch * rows * cols;
  const int nt = work < kMinParallelWork ? 1 : sj::configured_threads();
  sj::parallel(nt, [&](int t, int n) {
    int r0 = (int)((long)rows * t / n), r1 = (int)((long)rows * (t + 1) / n);
    if (r0 < r1) body(r0, r1);
  });
}

}  // namespace

extern "C" {

void sj_matmul_w8a16(float* out, const float* x, const int8_t* w, const float* scales, int batch, int rows,
                     int cols) {
  const sj::Int8KernelTable& k = *sj::kernels().int8;
  split_rows(batch, rows, cols, [&](int r0, int r1) { k.w8a16(out, x, w, scales, batch, rows, cols, r0, r1); });
}

void sj_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, const int8_t* w, const float* scales,
                    const int32_t* row_sums, int batch, int rows, int cols) {
  const sj::Int8KernelTable& k = *sj::kernels().int8;
  const int8_t* xs = xq;
  if (k.offset_activations) {  // once per call, shared by the threads: x + 128 for x in [-127, 127]
    static thread_local std::vector<int8_t> xu;
    const size_t n = (size_t)batch * cols;
    if (xu.size() < n) xu.resize(n);
    for (size_t i = 0; i < n; i++) xu[i] = (int8_t)(xq[i] ^ 0x80);
    xs = xu.data();
  }
  split_rows(batch, rows, cols,
             [&](int r0, int r1) { k.w8a8(out, xs, x_scales, w, scales, row_sums, batch, rows, cols, r0, r1); });
}

}  // extern "C"
