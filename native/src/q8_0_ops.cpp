// The C API of gemv_q8_0.h (Q8_0 and Q4_0): quantizes the activations to Q8_0 blocks once per call, then calls
// the active ISA's row kernel (kernels.h) on row shares of the kernels' thread pool.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemv_q8_0.h"
#include "thread_pool.h"

extern "C" void sj_quantize_q8_blocks(int8_t* xq, float* xd, const float* x, int batch, int cols) {
  const long blocks = (long)batch * (cols / 32);
  for (long k = 0; k < blocks; k++) {
    const float* v = x + k * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; j++) amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    xd[k] = d;
    for (int j = 0; j < 32; j++) {  // half away from zero, inline (no libm call per value); Q8Activations.java
      float y = v[j] * id;
      int q = (int)(std::fabs(y) + 0.5f);
      xq[k * 32 + j] = (int8_t)(y < 0.0f ? -q : q);
    }
  }
}

namespace {
// For Q4_0: per block of each activation row, off[8k + j] = 8 · (x[32k + 4j] + … + x[32k + 4j + 3]), the part of
// Σ (nibble − 8)·x that the 8 subtracted from every weight contributes to int32 lane j. Computed once per call
// beside the quantized activations, so a weight block multiplies its unsigned nibbles directly (vpmaddubsw takes
// them as they are) and skips the subtraction and the two sign flips.
void q4_offsets(int32_t* off, const int8_t* xq, long blocks) {
  for (long i = 0; i < blocks * 8; i++)
    off[i] = 8 * (xq[4 * i] + xq[4 * i + 1] + xq[4 * i + 2] + xq[4 * i + 3]);
}

void matmul_blocks(sj::MatmulQ8Rows kernel, bool q4, float* out, const float* x, const void* w, int batch, int rows,
                   int cols) {
  // Per calling thread, reused: decode allocates nothing after its first call.
  thread_local std::vector<int8_t> xq;
  thread_local std::vector<float> xd;
  thread_local std::vector<int32_t> offsets;
  xq.resize((size_t)batch * cols);
  xd.resize((size_t)batch * (cols / 32));
  if (q4) offsets.resize((size_t)batch * (cols / 32) * 8);
  const long work = (long)batch * rows * cols;
  const int nt = work < (1L << 15) ? 1 : sj::configured_threads();
  // Blocks [k0, k1) of the activations quantized (and their Q4_0 offsets): each block on its own, so any split
  // gives the same values. A prompt's activations are split over the pool (one thread alone took 5% of a pp64
  // pass); a decode row (one block row, about a microsecond) is not worth the hand-off.
  const long n_blocks = (long)batch * (cols / 32);
  int8_t* q = xq.data();  // the caller's buffers (the names above are each worker's own)
  float* d = xd.data();
  int32_t* off = q4 ? offsets.data() : nullptr;
  const auto quantize = [&](long k0, long k1) {
    sj_quantize_q8_blocks(q + k0 * 32, d + k0, x + k0 * 32, 1, (int)((k1 - k0) * 32));
    if (q4) q4_offsets(off + k0 * 8, q + k0 * 32, k1 - k0);
  };
  if (batch == 1 || nt == 1) {
    quantize(0, n_blocks);
  } else {
    sj::parallel(nt, [&](int t, int n) { quantize(n_blocks * t / n, n_blocks * (t + 1) / n); });
  }
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  sj::parallel(nt, [&](int t, int n) {
    long blocks = (rows + 3) / 4;  // contiguous shares in multiples of four rows
    int r0 = (int)std::min<long>(rows, blocks * t / n * 4);
    int r1 = (int)std::min<long>(rows, blocks * (t + 1) / n * 4);
    if (r0 < r1) kernel(out, q, d, off, wb, batch, rows, cols, r0, r1);
  });
}
}  // namespace

extern "C" void sj_matmul_q8_0(float* out, const float* x, const void* w, int batch, int rows, int cols) {
  matmul_blocks(sj::kernels().q8_0->rows, false, out, x, w, batch, rows, cols);
}

extern "C" void sj_matmul_q4_0(float* out, const float* x, const void* w, int batch, int rows, int cols) {
  matmul_blocks(sj::kernels().q8_0->q4_0, true, out, x, w, batch, rows, cols);
}
