// ISA-generic attention bodies (KernelTable::softmax, KernelTable::attend_heads), included by kernels_impl.h inside
// each ISA's target region with V set to its vector traits.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "simd_math.h"

namespace {

// In-place softmax of n floats: the max, e^(x - max) by exp_f32 with the running sum in V::W lanes, then the
// scale by 1 / sum. A partial last vector reads -inf past n, whose e^x is 0, so it adds nothing.
template <class V>
void softmax_row(float* x, int n) {
  using R = typename V::reg;
  if (n <= 0) return;
  const int tail = n % V::W, full = n - tail;
  R m = V::set1(-INFINITY);
  for (int i = 0; i < full; i += V::W) m = V::max(m, V::load(x + i));
  if (tail) m = V::max(m, V::load_first(x + full, tail, -INFINITY));
  const R mx = V::set1(V::max_of(m));
  R sum = V::zero();
  for (int i = 0; i < full; i += V::W) {
    const R e = exp_f32<V>(V::sub(V::load(x + i), mx));
    V::store(x + i, e);
    sum = V::add(sum, e);
  }
  if (tail) {
    const R e = exp_f32<V>(V::sub(V::load_first(x + full, tail, -INFINITY), mx));
    V::store_first(x + full, e, tail);
    sum = V::add(sum, e);
  }
  const R inv = V::set1(1.0f / V::sum(sum));
  for (int i = 0; i < full; i += V::W) V::store(x + i, V::mul(V::load(x + i), inv));
  if (tail) V::store_first(x + full, V::mul(V::load_first(x + full, tail, 0.0f), inv), tail);
}

// Attention of a group of rows' heads [h0, h1) (KernelTable::attend_heads). Positions are the outer loop and the
// heads the inner one: a position's keys (then values) for all those heads are one contiguous piece of its KV row, and
// the rows of a page follow one another, so the cache streams through once per token in address order. One head
// after another instead strided through it 256 bytes at a time: at 512 positions of stories110M, 40 MB of KV per
// token read at memory latency, 44% of a decode step (docs/benchmarks.md, "Prefill").
inline const float* kv_run(const int64_t* pages, int p) {
  return reinterpret_cast<const float*>(static_cast<intptr_t>(pages[p]));
}

inline const float* kv_row(const int64_t* pages, long offset, int run, long stride, int t) {
  return kv_run(pages, t / run) + offset + (size_t)(t % run) * stride;
}

// Lines [c0, c1) (floats) of position t's KV row, fetched ahead: every page starts a new stream, and the KV is
// read once per token, after the weights have pushed it out of cache, so the hardware prefetcher alone left the
// loop waiting on memory (4-7 GB/s against 13 for the weights). Only a single row (a decode step) prefetches: a
// prompt's groups read KV the previous group of the same heads left in L2, where the prefetches (a sixth of the
// instructions) only cost time (512 positions, 2 threads: 8.9 ms a layer with them, 7.3-7.8 ms without).
constexpr int kKvAhead = 4;  // positions

inline void prefetch_kv_row(const int64_t* pages, long offset, int run, long stride, int t, long c0, long c1) {
  const float* row = kv_row(pages, offset, run, stride, t);
  for (long c = c0; c < c1; c += 16) __builtin_prefetch(row + c);
}

// Scores of one query row q (hs floats) against the keys of V::W positions (key[j] + off): lane j = q · key[j].
// One accumulator per position, no horizontal sum per score: V::sum_each reduces the W accumulators at once. Each
// lane takes the same fmas in the same order (the head in vectors of W, a partial last one zero-filled, then
// sum_each's tree) whichever positions share the tile, so a row's scores do not depend on its group, its place in
// the prompt or the page boundaries.
template <class V>
inline typename V::reg score_tile(const float* const* key, size_t off, const float* q, int hs) {
  using R = typename V::reg;
  R acc[V::W];
  for (int j = 0; j < V::W; j++) acc[j] = V::zero();
  int d = 0;
  for (; d + V::W <= hs; d += V::W) {
    const R qd = V::load(q + d);
    for (int j = 0; j < V::W; j++) acc[j] = V::fma(V::load(key[j] + off + d), qd, acc[j]);
  }
  if (d < hs) {
    const R qd = V::load_first(q + d, hs - d, 0.0f);
    for (int j = 0; j < V::W; j++) acc[j] = V::fma(V::load_first(key[j] + off + d, hs - d, 0.0f), qd, acc[j]);
  }
  return V::sum_each(acc);
}

// Values of a block of up to kAvRun positions: y[r] += a[r][0] · x[0] + ... + a[r][m-1] · x[m-1] (x[j] + off)
// for R rows at once, floats [d, d + NV · W) of the head, the last vector n_last floats long. Each x vector is
// loaded once for the R rows, and each y vector stays in a register across the m positions: for every float the
// fmas of one axpy per position in position order, so the same bits whichever rows and blocks share the call.
constexpr int kAvRun = 16;

template <class V, int R, int NV>
inline void av_chunk(float* const* y, const float* const* a, const float* const* x, size_t off, int m, int d,
                     int n_last) {
  using Reg = typename V::reg;
  const auto load = [&](const float* p, int c) { return c == NV - 1 && n_last < V::W ? V::load_first(p, n_last, 0.0f) : V::load(p); };
  Reg acc[R][NV];
  for (int r = 0; r < R; r++)
    for (int c = 0; c < NV; c++) acc[r][c] = load(y[r] + d + c * V::W, c);
  for (int j = 0; j < m; j++) {
    Reg xv[NV];
    for (int c = 0; c < NV; c++) xv[c] = load(x[j] + off + d + c * V::W, c);
    for (int r = 0; r < R; r++) {
      const Reg av = V::set1(a[r][j]);
      for (int c = 0; c < NV; c++) acc[r][c] = V::fma(av, xv[c], acc[r][c]);
    }
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < NV; c++) {
      if (c == NV - 1 && n_last < V::W)
        V::store_first(y[r] + d + c * V::W, acc[r][c], n_last);
      else
        V::store(y[r] + d + c * V::W, acc[r][c]);
    }
}

// The whole head (hs floats) of av_chunk: four vectors at a time (R · 4 accumulators), then one at a time.
template <class V, int R>
inline void av_rows(float* const* y, const float* const* a, const float* const* x, size_t off, int m, int hs) {
  int d = 0;
  for (; d + 4 * V::W <= hs; d += 4 * V::W) av_chunk<V, R, 4>(y, a, x, off, m, d, V::W);
  for (; d < hs; d += V::W) av_chunk<V, R, 1>(y, a, x, off, m, d, std::min(V::W, hs - d));
}

// av_rows for 1 <= rows <= 4.
template <class V>
inline void av_some_rows(int rows, float* const* y, const float* const* a, const float* const* x, size_t off, int m,
                         int hs) {
  switch (rows) {
    case 1: return av_rows<V, 1>(y, a, x, off, m, hs);
    case 2: return av_rows<V, 2>(y, a, x, off, m, hs);
    case 3: return av_rows<V, 3>(y, a, x, off, m, hs);
    default: return av_rows<V, 4>(y, a, x, off, m, hs);
  }
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
  using R = typename V::reg;
  const int end = last + rows - 1;  // the group's last position
  const auto from_of = [&](int i) { return window > 0 ? std::max(0, last + i - window + 1) : 0; };
  const int from = from_of(0), n = end - from + 1;  // n: each row's scores stride, its longest possible run
  const long c0 = (long)(h0 / group) * hs, c1 = (long)((h1 - 1) / group + 1) * hs;  // the kv heads read
  const int nh = h1 - h0;
  const R scale_v = V::set1(scale);
  // Keys V::W positions [ta, tb] at a time, one score tile per row and head.
  const float* krow[V::W] = {};
  for (int ta = from; ta <= end; ta += V::W) {
    const int tb = std::min(end, ta + V::W - 1);
    for (int t = ta; t <= tb; t++) {
      if (rows == 1 && t + V::W <= end) prefetch_kv_row(pages, key_offset, run, stride, t + V::W, c0, c1);
      krow[t - ta] = kv_row(pages, key_offset, run, stride, t);
    }
    for (int j = tb - ta + 1; j < V::W; j++) krow[j] = krow[tb - ta];  // lanes past tb: computed, never stored
    // Rows [i0, i1) attend to some position of the block: row i needs ta <= last + i and tb >= from_of(i).
    const int i0 = std::max(0, ta - last), i1 = window > 0 ? std::min(rows, tb - last + window) : rows;
    for (int h = h0; h < h1; h++)
      for (int i = i0; i < i1; i++) {
        const int lo = std::max(ta, from_of(i)), hi = std::min(tb, last + i);  // the positions row i attends to
        const R s = V::mul(score_tile<V>(krow, (size_t)(h / group) * hs, q + i * row_stride + (size_t)h * hs, hs),
                           scale_v);
        float* dst = scores + ((size_t)i * nh + (h - h0)) * n + (lo - from_of(i));
        if (lo == ta && hi - lo + 1 == V::W) {
          V::store(dst, s);
        } else {
          float lanes[V::W];
          V::store(lanes, s);
          std::copy(lanes + (lo - ta), lanes + (hi - ta) + 1, dst);
        }
      }
  }
  for (int i = 0; i < rows; i++) {
    for (int h = h0; h < h1; h++) softmax_row<V>(scores + ((size_t)i * nh + (h - h0)) * n, last + i - from_of(i) + 1);
    std::fill(out + i * row_stride + (size_t)h0 * hs, out + i * row_stride + (size_t)h1 * hs, 0.0f);
  }
  // Values kAvRun positions [ta, tb] at a time. The rows that attend to every position of the block go through
  // av_rows four at a time, sharing each value load; the causal and window edges one row at a time.
  const float* vrow[kAvRun];
  for (int ta = from; ta <= end; ta += kAvRun) {
    const int tb = std::min(end, ta + kAvRun - 1);
    for (int t = ta; t <= tb; t++) {
      if (rows == 1 && t + kKvAhead <= end) prefetch_kv_row(pages, value_offset, run, stride, t + kKvAhead, c0, c1);
      vrow[t - ta] = kv_row(pages, value_offset, run, stride, t);
    }
    const int i0 = std::max(0, ta - last), i1 = window > 0 ? std::min(rows, tb - last + window) : rows;
    const int f0 = std::min(i1, std::max(i0, tb - last)), f1 = std::max(f0, window > 0 ? std::min(i1, ta - last + window) : i1);
    for (int h = h0; h < h1; h++) {
      const size_t off = (size_t)(h / group) * hs;
      const auto row_out = [&](int i) { return out + i * row_stride + (size_t)h * hs; };
      const auto row_scores = [&](int i, int t) { return scores + ((size_t)i * nh + (h - h0)) * n + (t - from_of(i)); };
      for (int i = f0; i < f1; i += 4) {  // rows attending to all of [ta, tb]
        const int r = std::min(4, f1 - i);
        float* y[4];
        const float* a[4];
        for (int k = 0; k < r; k++) y[k] = row_out(i + k), a[k] = row_scores(i + k, ta);
        av_some_rows<V>(r, y, a, vrow, off, tb - ta + 1, hs);
      }
      for (int i = i0; i < i1; i++) {  // rows attending to part of it
        if (i >= f0 && i < f1) continue;
        const int lo = std::max(ta, from_of(i)), hi = std::min(tb, last + i);
        float* y[1] = {row_out(i)};
        const float* a[1] = {row_scores(i, lo)};
        av_rows<V, 1>(y, a, vrow + (lo - ta), off, hi - lo + 1, hs);
      }
    }
  }
}

}  // namespace
