// The batch (prefill) path of the dense row kernels: register- and cache-blocked, yet every output is the chain of
// kernels_impl.h's dot_f32 — acc0 over the even W-wide column blocks, acc1 over the odd ones, the last lone block
// into acc0, sum(acc0 + acc1), then the tail fused one column at a time. Only where the operands and the partial
// accumulators live between steps changes (packed copies, registers, a buffer between column blocks), never the
// operations on them, so a batched token's row is bit for bit the row alone (decode) whatever the batch, the tile
// or the thread split.
//
// Included inside an ISA's target region with V the vector traits. L is the weight type: L::elem, L::load (W
// weights widened to a vector) and L::one (one weight as a float), as half_impl.h's Bf16 / F16. The tile kernel
// reads its weights through a panel source (DensePanels here, the sparse formats' in spmv_bitmask_impl.h), so a
// format stored otherwise only says how to widen a run of one row's columns.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "stream_prefetch.h"

namespace {

template <class V>
struct F32Weights {
  using elem = float;
  static inline typename V::reg load(const float* p) { return V::load(p); }
  static inline float one(float v) { return v; }
};

// Decode (batch 1) of a widened weight type L: NR rows (stride elements apart) against one token, each with exactly
// dot_f32's chains, the load widened, so a token's row is the same alone, in a group of NR and in a batch of the
// tile kernel below. The activation loads are shared: NR streams in flight instead of one. Each row is streamed
// once from memory, fetched Ahead bytes ahead (stream_prefetch.h; 0: no prefetch).
template <class V, class L, int NR, int Ahead>
inline void widened_dots(float* out, const typename L::elem* w, size_t stride, const float* x, int n) {
  typename V::reg acc0[NR], acc1[NR];
  for (int k = 0; k < NR; k++) acc0[k] = acc1[k] = V::zero();
  int i = 0;
  for (; i + 2 * V::W <= n; i += 2 * V::W) {
    const typename V::reg x0 = V::load(x + i), x1 = V::load(x + i + V::W);
    for (int k = 0; k < NR; k++) {
      prefetch_ahead<Ahead>(w + k * stride + i);
      acc0[k] = V::fma(L::load(w + k * stride + i), x0, acc0[k]);
      acc1[k] = V::fma(L::load(w + k * stride + i + V::W), x1, acc1[k]);
    }
  }
  for (; i + V::W <= n; i += V::W) {
    const typename V::reg x0 = V::load(x + i);
    for (int k = 0; k < NR; k++) acc0[k] = V::fma(L::load(w + k * stride + i), x0, acc0[k]);
  }
  for (int k = 0; k < NR; k++) {
    float s = V::sum(V::add(acc0[k], acc1[k]));
    // An explicit fma: whether the compiler fuses a * b + s may differ between kernels, and a token's result must
    // not depend on which one its batch took.
    for (int j = i; j < n; j++) s = __builtin_fmaf(L::one(w[k * stride + j]), x[j], s);
    out[k] = s;
  }
}

// One row, fetched kStreamAheadBytes ahead: the half-precision and W8A16 decode.
template <class V, class L>
inline float widened_dot(const typename L::elem* w, const float* x, int n) {
  float s;
  widened_dots<V, L, 1, kStreamAheadBytes>(&s, w, 0, x, n);
  return s;
}

// The micro-tile: R weight rows x T tokens, two chains each, so 2RT accumulators, T activation vectors and one
// weight vector in registers (AVX-512: 24 + 2 + 1 of 32; AVX2: 12 + 2 + 1 of 16). Each step loads R + T vectors
// for R * T FMAs; the weights come from L1 and the T activation rows stream from L2.
template <class V>
struct TileShape {
  static constexpr int R = V::W >= 16 ? 6 : V::W >= 8 ? 3 : 2;
  static constexpr int T = 2;
};

// Cache blocking, in floats: a column block of R weight rows stays in L1 while every token passes it; the same
// column block of all tokens' activations, and the accumulators of a block of rows, stay in L2.
constexpr int kTilePanelFloats = 6 << 10;    // 24 KiB of weights
constexpr int kTileSliceFloats = 128 << 10;  // 512 KiB of activations
constexpr int kTileAccFloats = 128 << 10;    // 512 KiB of accumulators
constexpr int kTileTokens = 64;              // tokens per block: the accumulators of 60 rows (AVX-512) fit

// n columns (whole 2W steps) of R rows w (ldw apart) against T tokens x (ldx apart). The pairs' chains start from
// `from` (row r, token j at r * from_row + j * from_token: acc0 then acc1) and end in `to` (to_row, 2W apart): the
// accumulator buffer, or a zero block read with strides 0 for the first column block (no branch in the tile).
template <class V, int R, int T>
inline void tile_steps(const float* w, size_t ldw, const float* x, size_t ldx, int n, const float* from,
                       size_t from_row, size_t from_token, float* to, size_t to_row) {
  using Reg = typename V::reg;
  constexpr int W = V::W;
  Reg a0[R][T], a1[R][T];
  for (int r = 0; r < R; r++)
    for (int j = 0; j < T; j++) {
      a0[r][j] = V::load(from + r * from_row + j * from_token);
      a1[r][j] = V::load(from + r * from_row + j * from_token + W);
    }
  // One W-wide column block c into one set of chains. Always inlined: where a file's kernels grow past GCC's
  // inlining budget it called this out of line, its accumulators in memory (bitmask prefill 2.4x slower, stop 31).
  const auto step = [&](Reg(&a)[R][T], int c) __attribute__((always_inline)) {
    Reg xv[T];
    for (int j = 0; j < T; j++) xv[j] = V::load(x + j * ldx + c);
    for (int r = 0; r < R; r++) {
      Reg wv = V::load(w + r * ldw + c);
      // Kept in a register: folded into each FMA as a memory operand, the weight was loaded T times.
      __asm__("" : "+v"(wv));
      for (int j = 0; j < T; j++) a[r][j] = V::fma(wv, xv[j], a[r][j]);
    }
  };
  for (int c = 0; c < n; c += 2 * W) {
    step(a0, c);
    step(a1, c + W);
  }
  for (int r = 0; r < R; r++)
    for (int j = 0; j < T; j++) {
      V::store(to + r * to_row + j * 2 * W, a0[r][j]);
      V::store(to + r * to_row + j * 2 * W + W, a1[r][j]);
    }
}

// tile_steps for an edge tile of rr <= R rows and tt <= T tokens: one instantiation per shape.
template <class V, int R, int T>
inline void tile_steps_edge(int rr, int tt, const float* w, size_t ldw, const float* x, size_t ldx, int n,
                            const float* from, size_t from_row, size_t from_token, float* to, size_t to_row) {
  if constexpr (R > 1)
    if (rr < R) return tile_steps_edge<V, R - 1, T>(rr, tt, w, ldw, x, ldx, n, from, from_row, from_token, to, to_row);
  if constexpr (T > 1)
    if (tt < T) return tile_steps_edge<V, R, T - 1>(rr, tt, w, ldw, x, ldx, n, from, from_row, from_token, to, to_row);
  tile_steps<V, R, T>(w, ldw, x, ldx, n, from, from_row, from_token, to, to_row);
}

// The rest of dot_f32 after its paired steps: the lone block, the sum, the fused tail; w and x hold the n < 2W
// columns after the paired steps (w widened to floats).
template <class V>
inline float tile_finish(const float* acc, const float* w, const float* x, int n) {
  typename V::reg a0 = V::load(acc), a1 = V::load(acc + V::W);
  int c = 0;
  if (V::W <= n) {
    a0 = V::fma(V::load(w), V::load(x), a0);
    c = V::W;
  }
  float s = V::sum(V::add(a0, a1));
  for (; c < n; c++) s = std::fma(w[c], x[c], s);
  return s;
}

// Dense rows of L (cols apart) as the tile kernel reads them. A panel source says how to widen a row's columns
// [c0, c0 + n) (n whole 2W steps) into floats, and its columns from c to the end; pack meets each row's panels in
// column order, from 0, before its rest. lines(n) and prefetch(r, c0, line) warm the caches for a panel ahead.
template <class V, class L>
struct DensePanels {
  const typename L::elem* w;
  int cols;
  const typename L::elem* row(int r) const { return w + (size_t)r * cols; }
  void pack(int r, int c0, int n, float* dst) {
    for (int c = 0; c < n; c += V::W) V::store(dst + c, L::load(row(r) + c0 + c));
  }
  void rest(int r, int c, float* dst) {
    for (int j = c; j < cols; j++) dst[j - c] = L::one(row(r)[j]);
  }
  int lines(int n) const { return (int)((n * sizeof(typename L::elem) + 63) / 64); }
  void prefetch(int r, int c0, int line) const {
    __builtin_prefetch(reinterpret_cast<const char*>(row(r) + c0) + 64 * line);
  }
};

// 64-byte aligned scratch of one thread: vector loads that straddle cache lines cost two (measured 35% slower).
inline float* tile_scratch(size_t floats) {
  static thread_local std::vector<float> buffer;
  if (buffer.size() < floats + 16) buffer.resize(floats + 16);
  return reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(buffer.data()) + 63) & ~uintptr_t(63));
}

// Where the weights of the panel after (p, c0) start, in tiled_rows' order (rows, then tokens, then columns,
// then panels): prefetched while the current panel meets its tokens, as a panel's rows are short runs (kc
// columns each, a row apart) that the hardware prefetcher does not follow in time from memory.
struct TilePanel {
  int row, col;
};

// The packed layout of the activations: column block c0 (width n = min(kc, paired - c0)) holds [token][n].
inline const float* tile_activations(const float* xs, int batch, int c0, int n, int t) {
  return xs + (size_t)c0 * batch + (size_t)t * n;
}

// Rows [r0, r1) of out [batch][rows] = x · wᵀ (x: ldx floats apart), out[b][r] = scale(r, dot of row r and
// token b), the weights read through the panel source P.
template <class V, class P, class Scale>
void tiled_panels(float* out, const float* x, size_t ldx, P& w, int batch, int rows, int cols, int r0, int r1,
                  Scale scale) {
  constexpr int W = V::W, R = TileShape<V>::R, T = TileShape<V>::T;
  const int paired = cols / (2 * W) * (2 * W);  // the end of dot_f32's paired steps
  const int nt = std::min(batch, kTileTokens);
  const int kc = std::max(2 * W, std::min(kTilePanelFloats / R, kTileSliceFloats / nt) / (2 * W) * (2 * W));
  const int mc = std::max(R, kTileAccFloats / (2 * W * nt) / R * R);
  const size_t acc_row = (size_t)nt * 2 * W;
  // Scratch: the accumulators of mc rows x nt tokens, the activations' paired columns packed by column block
  // (tile_activations: each block one contiguous stream) and the packed (widened) block of one panel of R rows.
  float* acc = tile_scratch(mc * acc_row + (size_t)batch * paired + (size_t)R * kc + 2 * W);
  float* xs = acc + mc * acc_row;
  float* ws = xs + (size_t)batch * paired;
  float* tail = ws + (size_t)R * kc;  // one row's columns after the paired steps
  for (int c0 = 0; c0 < paired; c0 += kc) {
    const int n = std::min(kc, paired - c0);
    for (int b = 0; b < batch; b++)
      std::memcpy(const_cast<float*>(tile_activations(xs, batch, c0, n, b)), x + (size_t)b * ldx + c0,
                  sizeof(float) * n);
  }
  alignas(64) static const float zeros[2 * W] = {};
  for (int m0 = r0; m0 < r1; m0 += mc) {
    const int m1 = std::min(r1, m0 + mc);
    for (int t0 = 0; t0 < batch; t0 += nt) {
      const int t1 = std::min(batch, t0 + nt);
      if (paired == 0) std::fill(acc, acc + (size_t)(m1 - m0) * acc_row, 0.0f);
      for (int c0 = 0; c0 < paired; c0 += kc) {
        const int n = std::min(kc, paired - c0);
        for (int p = m0; p < m1; p += R) {
          const int rr = std::min(R, m1 - p);
          for (int r = 0; r < rr; r++) w.pack(p + r, c0, n, ws + r * kc);
          const TilePanel next = p + R < m1            ? TilePanel{p + R, c0}
                                 : c0 + kc < paired    ? TilePanel{m0, c0 + kc}
                                 : t1 < batch          ? TilePanel{m0, 0}
                                                       : TilePanel{m1, 0};
          const int next_rows = std::max(0, std::min(R, r1 - next.row));
          const int row_lines = w.lines(std::min(kc, paired - next.col));
          const int per_call = (next_rows * row_lines + (t1 - t0 + T - 1) / T - 1) / ((t1 - t0 + T - 1) / T);
          int line = 0;
          float* ap = acc + (size_t)(p - m0) * acc_row;
          for (int t = t0; t < t1; t += T) {
            for (int end = std::min(next_rows * row_lines, line + per_call); line < end; line++)
              w.prefetch(next.row + line / row_lines, next.col, line % row_lines);
            const float* xt = tile_activations(xs, batch, c0, n, t);
            float* at = ap + (size_t)(t - t0) * 2 * W;
            const float* from = c0 == 0 ? zeros : at;
            const size_t from_row = c0 == 0 ? 0 : acc_row, from_token = c0 == 0 ? 0 : 2 * W;
            if (rr == R && t + T <= t1)
              tile_steps<V, R, T>(ws, kc, xt, n, n, from, from_row, from_token, at, acc_row);
            else
              tile_steps_edge<V, R, T>(rr, std::min(T, t1 - t), ws, kc, xt, n, n, from, from_row, from_token, at,
                                       acc_row);
          }
        }
      }
      for (int r = m0; r < m1; r++) {
        w.rest(r, paired, tail);
        const float* ar = acc + (size_t)(r - m0) * acc_row;
        for (int b = t0; b < t1; b++)
          out[(size_t)b * rows + r] =
              scale(r, tile_finish<V>(ar + (size_t)(b - t0) * 2 * W, tail, x + (size_t)b * ldx + paired, cols - paired));
      }
    }
  }
}

// Dense rows of L (cols apart): out [batch][rows] = scale(r, x · wᵀ) for rows [r0, r1).
template <class V, class L, class Scale>
void tiled_rows(float* out, const float* x, const typename L::elem* w, int batch, int rows, int cols, int r0, int r1,
                Scale scale) {
  DensePanels<V, L> panels{w, cols};
  tiled_panels<V>(out, x, (size_t)cols, panels, batch, rows, cols, r0, r1, scale);
}

}  // namespace
