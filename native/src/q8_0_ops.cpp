// The C API of gemv_q8_0.h (Q8_0 and Q4_0): calls the active ISA's row kernel (kernels.h) and splits rows over the kernels' thread pool.
#include <algorithm>

#include "kernels.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemv_q8_0.h"
#include "thread_pool.h"

namespace {
void matmul_blocks(sj::MatmulQ8Rows kernel, float* out, const float* x, const void* w, int batch, int rows,
                   int cols) {
  const long work = (long)batch * rows * cols;
  const int nt = work < (1L << 15) ? 1 : sj::configured_threads();
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  sj::parallel(nt, [&](int t, int n) {
    long blocks = (rows + 3) / 4;  // contiguous shares in multiples of four rows
    int r0 = (int)std::min<long>(rows, blocks * t / n * 4);
    int r1 = (int)std::min<long>(rows, blocks * (t + 1) / n * 4);
    if (r0 < r1) kernel(out, x, wb, batch, rows, cols, r0, r1);
  });
}
}  // namespace

extern "C" void sj_matmul_q8_0(float* out, const float* x, const void* w, int batch, int rows, int cols) {
  matmul_blocks(sj::kernels().q8_0->rows, out, x, w, batch, rows, cols);
}

extern "C" void sj_matmul_q4_0(float* out, const float* x, const void* w, int batch, int rows, int cols) {
  matmul_blocks(sj::kernels().q8_0->q4_0, out, x, w, batch, rows, cols);
}
