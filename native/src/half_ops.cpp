// The C API of gemv_half.h: splits rows over the thread pool (multiples of four, as sj_matmul_f32) and calls the
// active ISA's BF16/F16 kernels (kernels.h).
#include <algorithm>

#include "kernels.h"
#include "sparsej/gemv_half.h"
#include "thread_pool.h"

namespace {

constexpr long kMinParallelWork = 1L << 15;  // multiply-adds below which one thread is faster

void run(sj::MatmulHalfRows kernel, float* out, const float* x, const uint16_t* w, int batch, int rows, int cols) {
  const long work = (long)batch * rows * cols;
  sj::parallel(work < kMinParallelWork ? 1 : sj::configured_threads(), [&](int t, int n) {
    long blocks = (rows + 3) / 4;
    int r0 = (int)std::min<long>(rows, blocks * t / n * 4);
    int r1 = (int)std::min<long>(rows, blocks * (t + 1) / n * 4);
    if (r0 < r1) kernel(out, x, w, batch, rows, cols, r0, r1);
  });
}

}  // namespace

extern "C" {

void sj_matmul_bf16(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols) {
  run(sj::kernels().half->bf16, out, x, w, batch, rows, cols);
}

void sj_matmul_f16(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols) {
  run(sj::kernels().half->f16, out, x, w, batch, rows, cols);
}

}  // extern "C"
