// The C API of gemv_dense.h and llama_ops.h: splits work over the thread pool and calls the active ISA's kernels.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"
#include "thread_pool.h"
#include "sparsej/attention_paged.h"
#include "sparsej/dispatch.h"
#include "sparsej/gemv_dense.h"
#include "sparsej/llama_ops.h"
#include "sparsej/membench.h"

namespace {

// Below this many multiply-adds a parallel region costs more than it saves.
constexpr long kMinParallelWork = 1L << 15;

int threads_for(long work) { return work < kMinParallelWork ? 1 : sj::configured_threads(); }

// Contiguous share of [0, n) for thread t of nt, rounded to multiples of `align`.
void split_range(int n, int t, int nt, int align, int* begin, int* end) {
  long blocks = (n + align - 1) / align;
  long b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
  *begin = (int)std::min<long>(n, b0 * align);
  *end = (int)std::min<long>(n, b1 * align);
}

}  // namespace

extern "C" {

void sj_matmul_f32(float* out, const float* x, const float* w, int batch, int rows, int cols) {
  const sj::KernelTable& k = *sj::kernels().dense;
  int nt = threads_for((long)batch * rows * cols);
  sj::parallel(nt, [&](int t, int n) {
    int r0, r1;
    split_range(rows, t, n, 4, &r0, &r1);
    if (r0 < r1) k.matmul_f32_rows(out, x, w, batch, rows, cols, r0, r1);
  });
}

void sj_matmul_f32_group(int n, const int64_t* outs, const float* x, const int64_t* ws, const int32_t* rows,
                         int batch, int cols) {
  const sj::KernelTable& k = *sj::kernels().dense;
  // Blocks of 4 rows, as sj_matmul_f32 splits one matrix: the kernel groups rows in fours from a multiple of 4,
  // so every row is computed as it is alone. Weight i owns blocks [first[i], first[i+1]).
  std::vector<long> first(n + 1, 0);
  long total_rows = 0;
  for (int i = 0; i < n; i++) {
    first[i + 1] = first[i] + (rows[i] + 3) / 4;
    total_rows += rows[i];
  }
  const long blocks = first[n];
  sj::parallel(threads_for((long)batch * total_rows * cols), [&](int t, int nt) {
    const long b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    for (int i = 0; i < n; i++) {
      const long lo = std::max(b0, first[i]), hi = std::min(b1, first[i + 1]);
      if (lo >= hi) continue;
      const int r0 = (int)((lo - first[i]) * 4), r1 = (int)std::min<long>(rows[i], (hi - first[i]) * 4);
      k.matmul_f32_rows(reinterpret_cast<float*>(static_cast<intptr_t>(outs[i])), x,
                        reinterpret_cast<const float*>(static_cast<intptr_t>(ws[i])), batch, rows[i], cols, r0, r1);
    }
  });
}

void sj_rmsnorm(float* out, const float* x, const float* weight, int batch, int dim, float eps) {
  const sj::KernelTable& k = *sj::kernels().dense;
  // A row is ~dim multiply-adds: only large batches (prefill) are worth waking the pool for.
  sj::parallel(threads_for((long)batch * dim / 8), [&](int t, int n) {
    int b0, b1;
    split_range(batch, t, n, 1, &b0, &b1);
    for (int b = b0; b < b1; b++) k.rmsnorm_row(out + (size_t)b * dim, x + (size_t)b * dim, weight, dim, eps);
  });
}

// Rotates every head of one row by the angles of position pos: cos/sin of pair i are the same for every head, so
// they are computed once per row (the same expressions as before, so the same values), not once per head.
static void rope_rotate(float* v, int n_heads, int head_size, const float* cs, const float* sn, int style) {
  const int half = head_size / 2;
  for (int h = 0; h < n_heads; h++) {
    float* hv = v + (size_t)h * head_size;
    for (int i = 0; i < half; i++) {
      int a = style == SJ_ROPE_HALF ? i : 2 * i;
      int b = style == SJ_ROPE_HALF ? i + half : 2 * i + 1;
      float v0 = hv[a], v1 = hv[b];
      hv[a] = v0 * cs[i] - v1 * sn[i];
      hv[b] = v0 * sn[i] + v1 * cs[i];
    }
  }
}

void sj_rope(float* q, float* k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size, float theta,
             int style) {
  const int half = head_size / 2;
  std::vector<float> cs(half), sn(half);
  for (int b = 0; b < batch; b++) {
    const int pos = pos0 + b;
    for (int i = 0; i < half; i++) {
      // Pair i rotates by pos * theta^(-2i/head_size) in both layouts; only the pair's indices differ.
      float freq = 1.0f / powf(theta, (2.0f * i) / (float)head_size);
      float angle = pos * freq;
      cs[i] = cosf(angle);
      sn[i] = sinf(angle);
    }
    rope_rotate(q + (size_t)b * n_heads * head_size, n_heads, head_size, cs.data(), sn.data(), style);
    rope_rotate(k + (size_t)b * n_kv_heads * head_size, n_kv_heads, head_size, cs.data(), sn.data(), style);
  }
}

void sj_rope_freqs(float* q, float* k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size,
                   const float* freqs, float scale, int style) {
  const int half = head_size / 2;
  std::vector<float> cs(half), sn(half);
  for (int b = 0; b < batch; b++) {
    const int pos = pos0 + b;
    for (int i = 0; i < half; i++) {
      float angle = pos * freqs[i];
      cs[i] = cosf(angle) * scale;
      sn[i] = sinf(angle) * scale;
    }
    rope_rotate(q + (size_t)b * n_heads * head_size, n_heads, head_size, cs.data(), sn.data(), style);
    rope_rotate(k + (size_t)b * n_kv_heads * head_size, n_kv_heads, head_size, cs.data(), sn.data(), style);
  }
}

void sj_softmax(float* x, int n) { sj::kernels().dense->softmax(x, n); }

void sj_exp_f32(float* y, const float* x, long n) { sj::kernels().dense->exp_f32(y, x, n); }

void sj_attention(float* out, const float* q, const float* key_cache, const float* value_cache, int batch, int pos0,
                  int n_heads, int n_kv_heads, int head_size) {
  // A contiguous cache is one page of every position: the same kernel, so the same values as the paged cache.
  // The values are addressed from the keys' base (an offset in floats between the two buffers).
  const int32_t segment[4] = {0, batch, pos0, 0};
  const int64_t page[1] = {(int64_t)(intptr_t)key_cache};
  const long value_offset = (long)(((intptr_t)value_cache - (intptr_t)key_cache) / (intptr_t)sizeof(float));
  sj_attention_paged_window(out, q, 1, segment, page, pos0 + batch, 0, value_offset, n_heads, n_kv_heads, head_size,
                            0);
}

void sj_swiglu(float* h1, const float* h3, long n) {
  const sj::KernelTable& k = *sj::kernels().dense;
  // A decode step's few thousand values cost less than waking the pool.
  sj::parallel(threads_for(n), [&](int t, int nt) {
    const long b = n * t / nt, e = n * (t + 1) / nt;
    k.swiglu(h1 + b, h3 + b, e - b);
  });
}

void sj_add(float* x, const float* y, long n) {
  for (long i = 0; i < n; i++) x[i] += y[i];
}

}  // extern "C"

extern "C" double sj_sum_f32(const float* x, long n) {
  const sj::KernelTable& k = *sj::kernels().dense;
  std::vector<double> partial(sj_get_threads(), 0.0);
  sj::parallel(sj_get_threads(), [&](int t, int nt) {
    long b = n * t / nt, e = n * (t + 1) / nt;
    partial[t] = k.sum_f32(x + b, e - b);
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

extern "C" double sj_core_clock_ghz(long iterations) {
  long x = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations / 8; i++) {
#if defined(__x86_64__)
    // Eight adds a step, each waiting on the one before: one a cycle, the loop's own count and branch alongside.
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0" : "+r"(x));
#else
    __asm__ volatile("" : "+r"(x));
    x += 8;
#endif
  }
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  return x > 0 && ns > 0 ? (double)x / ns : 0.0;
}
