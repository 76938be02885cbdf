// The C API of gemv_q8_0.h: picks the active ISA's row kernel and splits rows over the kernels' thread pool.
#include <algorithm>

#include "q8_0_table.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemv_q8_0.h"
#include "thread_pool.h"

namespace {

sj::MatmulQ8Rows active_q8_rows() {
  int isa = sj_isa_active();  // ISAs above AVX-512 (e.g. VNNI) run the AVX-512 variant
  if (isa >= SJ_ISA_AVX512) return sj::kAvx512Q8Rows;
  if (isa == SJ_ISA_AVX2) return sj::kAvx2Q8Rows;
  return sj::kScalarQ8Rows;
}

}  // namespace

extern "C" void sj_matmul_q8_0(float* out, const float* x, const void* w, int batch, int rows, int cols) {
  const sj::MatmulQ8Rows kernel = active_q8_rows();
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
