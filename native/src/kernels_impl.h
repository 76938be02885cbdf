// ISA-generic kernel bodies. Each kernels_<isa>.cpp includes this inside its own target region with V set
// to its vector traits, so one template yields the scalar, AVX2 and AVX-512 variants. Internal linkage keeps
// the variants apart (no ODR merging of code built for different ISAs).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "dense_tile_impl.h"
#include "sparsej/llama_ops.h"

namespace {

template <class V>
inline float dot_f32(const float* a, const float* b, int n) {
  typename V::reg acc0 = V::zero(), acc1 = V::zero();
  int i = 0;
  for (; i + 2 * V::W <= n; i += 2 * V::W) {
    acc0 = V::fma(V::load(a + i), V::load(b + i), acc0);
    acc1 = V::fma(V::load(a + i + V::W), V::load(b + i + V::W), acc1);
  }
  for (; i + V::W <= n; i += V::W) acc0 = V::fma(V::load(a + i), V::load(b + i), acc0);
  float s = V::sum(V::add(acc0, acc1));
  // Tails are fused explicitly, in every dot kernel alike, so no kernel's result depends on the compiler's choice
  // to contract (a batched row must equal the row alone, bit for bit). W = 1 (scalar) never has a tail.
  for (; i < n; i++) s = std::fma(a[i], b[i], s);
  return s;
}

template <class V>
inline void axpy_f32(float* y, float a, const float* x, int n) {
  const typename V::reg av = V::set1(a);
  int i = 0;
  for (; i + V::W <= n; i += V::W) V::store(y + i, V::fma(av, V::load(x + i), V::load(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

// Rows [r0, r1) of out = x · wᵀ.
template <class V>
void matmul_f32_rows(float* out, const float* x, const float* w, int batch, int rows, int cols, int r0, int r1) {
  if (batch == 1) {
    // Decode is bound by reading W: one row after another is a single sequential stream, which the hardware
    // prefetcher follows; four interleaved short rows (the batched path) measured about 2x slower on sj-7m.
    for (int r = r0; r < r1; r++) out[r] = dot_f32<V>(w + (size_t)r * cols, x, cols);
    return;
  }
  tiled_rows<V, F32Weights<V>>(out, x, w, batch, rows, cols, r0, r1, [](int, float s) { return s; });
}

template <class V>
void rmsnorm_row(float* out, const float* x, const float* weight, int dim, float eps) {
  float ss = dot_f32<V>(x, x, dim) / dim + eps;
  float scale = 1.0f / std::sqrt(ss);
  int i = 0;
  const typename V::reg sv = V::set1(scale);
  for (; i + V::W <= dim; i += V::W) V::store(out + i, V::mul(V::mul(V::load(x + i), sv), V::load(weight + i)));
  for (; i < dim; i++) out[i] = x[i] * scale * weight[i];
}

// Four independent accumulators keep enough loads in flight to saturate memory, not the adder.
template <class V>
float sum_f32(const float* x, long n) {
  typename V::reg a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  long i = 0;
  for (; i + 4 * V::W <= n; i += 4 * V::W) {
    a0 = V::add(a0, V::load(x + i));
    a1 = V::add(a1, V::load(x + i + V::W));
    a2 = V::add(a2, V::load(x + i + 2 * V::W));
    a3 = V::add(a3, V::load(x + i + 3 * V::W));
  }
  float s = V::sum(V::add(V::add(a0, a1), V::add(a2, a3)));
  for (; i < n; i++) s += x[i];
  return s;
}

// Attention of a group of rows' heads [h0, h1) (KernelTable::attend_heads). Positions are the outer loop and the
// heads the inner one: a position's keys (then values) for all those heads are one contiguous piece of its KV row, and
// the rows of a page follow one another, so the cache streams through once per token in address order. One head
// after another instead strided through it 256 bytes at a time: at 512 positions of stories110M, 40 MB of KV per
// token read at memory latency, 44% of a decode step (docs/benchmarks.md, "Prefill").
inline const float* kv_run(const int64_t* pages, int p) {
  return reinterpret_cast<const float*>(static_cast<intptr_t>(pages[p]));
}

// Lines [c0, c1) (floats) of position t's KV row, fetched ahead: every page starts a new stream, and the KV is
// read once per token, after the weights have pushed it out of cache, so the hardware prefetcher alone left the
// loop waiting on memory (4-7 GB/s against 13 for the weights).
constexpr int kKvAhead = 4;  // positions

inline void prefetch_kv_row(const int64_t* pages, long offset, int run, long stride, int t, long c0, long c1) {
  const float* row = kv_run(pages, t / run) + offset + (size_t)(t % run) * stride;
  for (long c = c0; c < c1; c += 16) __builtin_prefetch(row + c);
}

// y += a[0] · x[0] + ... + a[m-1] · x[m-1] (x[j] + off, n floats), m <= kAvRun: the fmas of m axpy_f32 calls
// in the same order, the partial sums kept in registers.
constexpr int kAvRun = 4;

template <class V>
inline void axpy_run(float* y, const float* a, const float* const* x, size_t off, int m, int n) {
  typename V::reg av[kAvRun];
  for (int j = 0; j < m; j++) av[j] = V::set1(a[j]);
  int i = 0;
  for (; i + V::W <= n; i += V::W) {
    typename V::reg r = V::load(y + i);
    for (int j = 0; j < m; j++) r = V::fma(av[j], V::load(x[j] + off + i), r);
    V::store(y + i, r);
  }
  for (; i < n; i++)
    for (int j = 0; j < m; j++) y[i] += a[j] * x[j][off + i];
}

// Rows [0, rows) of the group: consecutive query rows of one sequence, row i at position last + i, attending to
// [from_i, last + i] with from_i = 0, or last + i - window + 1 (at least 0) for a sliding window. Every key and value
// a position holds is loaded once for all the rows that attend to it (from L1 for the second and later rows): a
// prefill of 512 positions otherwise read each row's whole KV from L3 again, 22% of the pass. Each row's scores,
// softmax and sums are the same operations in the same order as for the row alone, so the same bits.
template <class V>
void attend_heads(float* out, const float* q, long row_stride, int rows, const int64_t* pages, long key_offset,
                  long value_offset, int run, long stride, int last, int window, int h0, int h1, int group, int hs,
                  float scale, float* scores) {
  const int end = last + rows - 1;  // the group's last position
  const auto from_of = [&](int i) { return window > 0 ? std::max(0, last + i - window + 1) : 0; };
  const int from = from_of(0), n = end - from + 1;  // n: each row's scores stride, its longest possible run
  const long c0 = (long)(h0 / group) * hs, c1 = (long)((h1 - 1) / group + 1) * hs;  // the kv heads read
  const int nh = h1 - h0;
  // Positions [t0, t1] of the runs they lie in, each position's row of the cache at base + its offset.
  const auto each_position = [&](long offset, auto body) {
    for (int p = from / run; p <= end / run; p++) {
      const int t0 = std::max(from, p * run), t1 = std::min(end, p * run + (run - 1));
      const float* row = kv_run(pages, p) + offset + (size_t)(t0 - p * run) * stride;
      for (int t = t0; t <= t1; t++, row += stride) {
        if (t + kKvAhead <= end) prefetch_kv_row(pages, offset, run, stride, t + kKvAhead, c0, c1);
        // Rows [i0, i1) attend to t: row i needs t <= last + i and t >= from_of(i).
        const int i0 = std::max(0, t - last), i1 = window > 0 ? std::min(rows, t - last + window) : rows;
        body(t, row, i0, i1);
      }
    }
  };
  each_position(key_offset, [&](int t, const float* key, int i0, int i1) {
    for (int h = h0; h < h1; h++)
      for (int i = i0; i < i1; i++)
        scores[((size_t)i * nh + (h - h0)) * n + (t - from_of(i))] =
            dot_f32<V>(key + (size_t)(h / group) * hs, q + i * row_stride + (size_t)h * hs, hs) * scale;
  });
  for (int i = 0; i < rows; i++) {
    for (int h = h0; h < h1; h++) sj_softmax(scores + ((size_t)i * nh + (h - h0)) * n, last + i - from_of(i) + 1);
    std::fill(out + i * row_stride + (size_t)h0 * hs, out + i * row_stride + (size_t)h1 * hs, 0.0f);
  }
  // Values kAvRun positions at a time: each output vector stays in a register across them (the same fmas in the
  // same order as one axpy per position, without a store and reload of out between positions).
  const float* vrow[kAvRun];
  for (int ta = from; ta <= end; ta += kAvRun) {
    const int tb = std::min(end, ta + kAvRun - 1);
    for (int t = ta; t <= tb; t++) {
      if (t + kKvAhead <= end) prefetch_kv_row(pages, value_offset, run, stride, t + kKvAhead, c0, c1);
      vrow[t - ta] = kv_run(pages, t / run) + value_offset + (size_t)(t % run) * stride;
    }
    for (int h = h0; h < h1; h++)
      for (int i = 0; i < rows; i++) {
        const int lo = std::max(ta, from_of(i)), hi = std::min(tb, last + i);  // the positions row i attends to
        if (lo <= hi)
          axpy_run<V>(out + i * row_stride + (size_t)h * hs,
                      scores + ((size_t)i * nh + (h - h0)) * n + (lo - from_of(i)), vrow + (lo - ta),
                      (size_t)(h / group) * hs, hi - lo + 1, hs);
      }
  }
}

template <class V>
constexpr sj::KernelTable make_kernel_table(const char* name) {
  return sj::KernelTable{name, &matmul_f32_rows<V>, &dot_f32<V>, &axpy_f32<V>, &rmsnorm_row<V>, &sum_f32<V>,
                         &attend_heads<V>};
}

}  // namespace
