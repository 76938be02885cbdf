// Bitmask (compressed-tensors sparse-bitmask) kernels, generic over the sparse traits S (simd_sparse_*.h)
// and the W8A8 traits Q. Decode walks a row W columns at a time: W mask bits expand the next popcount(bits)
// packed values into a dense vector (vexpandps, or a permute table on AVX2) that meets x in one FMA. A batch of
// f32 activations runs the dense tile kernel on panels expanded once (BitmaskPanels).
#pragma once
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "dense_tile_impl.h"
#include "sparse_rows_common.h"

namespace {

template <class S>
inline typename S::reg expand(uint32_t m, const float*& p) { return S::expand_f32(m, p); }
template <class S>
inline typename S::reg expand(uint32_t m, const int8_t*& p) { return S::expand_i8(m, p); }

// sum_c W[r][c] * x_g[c] for one row and G tokens (x_g = x + g * ldx), before the row scale. Each block of W
// columns is expanded once and meets every token, and every token has exactly dot_f32's chains
// (dense_tile_impl.h): the even W-column blocks into one accumulator, the odd ones into another, sum(a0 + a1), then
// the tail fused column by column (zero weights too). The tile kernel gives a token of a larger batch the same
// chains (BitmaskPanels below), so a token's result does not depend on its batch (sparse_rows_common.h).
template <class S, class T, int G>
inline void bitmask_row_dots(const uint8_t* mrow, const T* p, const float* x, size_t ldx, int cols, float* s) {
  using R = typename S::reg;
  constexpr int W = S::W;
  R a[G][2];
  for (int g = 0; g < G; g++) a[g][0] = a[g][1] = S::zero();
  int c = 0;
  if constexpr (std::is_same_v<T, int8_t> && S::kI8Block == 4 * W) {
    for (; c + 4 * W <= cols; c += 4 * W) {
      prefetch_ahead<S::kPrefetchBytes>(mrow + c / 8);
      R w[4];
      S::i8_expand_block(read_bits<4 * W>(mrow, c), p, w);
      prefetch_ahead<S::kPrefetchBytes>(p);  // a block reads at most one line of values
      for (int k = 0; k < 4; k++)
        for (int g = 0; g < G; g++) a[g][k % 2] = S::fma(w[k], S::load(x + g * ldx + c + k * W), a[g][k % 2]);
    }
  }
  // Steps that together read at most one 64-byte line of values: a prefetch after each such run leaves no line
  // out (consecutive prefetch addresses are at most a line apart), and no more are issued (AVX2 F32: every 2nd
  // step, one instruction per 16 columns saved).
  constexpr int kStepsPerLine = std::min(4, std::max(1, 64 / (W * (int)sizeof(T))));
  for (; c + 4 * W <= cols; c += 4 * W) {
    const uint64_t m = read_bits<4 * W>(mrow, c);  // one load for the 4 steps (fewer address computations)
    prefetch_ahead<S::kPrefetchBytes>(mrow + c / 8);
    for (int k = 0; k < 4; k++) {
      const R w = expand<S>((uint32_t)(m >> (k * W)) & ((1u << W) - 1), p);
      if ((k + 1) % kStepsPerLine == 0) prefetch_ahead<S::kPrefetchBytes>(p);
      for (int g = 0; g < G; g++) a[g][k % 2] = S::fma(w, S::load(x + g * ldx + c + k * W), a[g][k % 2]);
    }
  }
  for (int k = 0; c + W <= cols; c += W, k++) {  // c / W is even here: block k goes to chain k % 2
    const R w = expand<S>((uint32_t)read_bits<W>(mrow, c), p);
    for (int g = 0; g < G; g++) a[g][k % 2] = S::fma(w, S::load(x + g * ldx + c), a[g][k % 2]);
  }
  for (int g = 0; g < G; g++) s[g] = S::sum(S::add(a[g][0], a[g][1]));
  for (; c < cols; c++) {
    const float v = bit_at(mrow, c) ? (float)*p++ : 0.0f;
    for (int g = 0; g < G; g++) s[g] = __builtin_fmaf(v, x[g * ldx + c], s[g]);  // fused for any G, by hand
  }
}

// A bitmask matrix as the tile kernel's panel source (dense_tile_impl.h's DensePanels): each panel of a row
// expanded to floats once and met by every token of the block. Panels come in column order per row, so a cursor
// per row holds where the next one's values start.
template <class S, class T>
struct BitmaskPanels {
  const sj::SparseMat& w;
  const T** next;  // per row: the values of the column after its last panel
  const uint8_t* mrow(int r) const { return w.meta + (size_t)r * w.meta_stride(); }
  const T* at(int r, int c0) const { return c0 == 0 ? static_cast<const T*>(w.values) + w.offsets[r] : next[r]; }
  void pack(int r, int c0, int n, float* dst) {
    const T* p = at(r, c0);
    int c = 0;
    if constexpr (std::is_same_v<T, int8_t> && S::kI8Block == 4 * S::W)
      for (; c + 4 * S::W <= n; c += 4 * S::W) {
        typename S::reg v[4];
        S::i8_expand_block(read_bits<4 * S::W>(mrow(r), c0 + c), p, v);
        for (int k = 0; k < 4; k++) S::store(dst + c + k * S::W, v[k]);
      }
    for (; c < n; c += S::W) S::store(dst + c, expand<S>((uint32_t)read_bits<S::W>(mrow(r), c0 + c), p));
    next[r] = p;
  }
  void rest(int r, int c, float* dst) {
    const T* p = at(r, c);
    for (int j = c; j < w.cols; j++) dst[j - c] = bit_at(mrow(r), j) ? (float)*p++ : 0.0f;
  }
  // Lines of values in n columns at the matrix's mean density (plus one: a run rarely starts on a line).
  int lines(int n) const {
    return (int)((double)n * w.offsets[w.rows] / ((double)w.rows * w.cols) * sizeof(T) / 64) + 1;
  }
  void prefetch(int r, int c0, int line) const {
    if (line == 0) __builtin_prefetch(mrow(r) + c0 / 8);
    __builtin_prefetch(reinterpret_cast<const char*>(at(r, c0)) + 64 * line);
  }
};

// Tokens from which a batch takes the tile kernel: below it, groups of kF32Group tokens sharing each expand ran
// faster (at 4 tokens 1.3-2.3x, at 8 1.1-1.6x), from 16 on the tile kernel (1.1-1.8x; docs/benchmarks.md, stop 30).
constexpr int kBitmaskTileMinBatch = 16;

template <class S, class T>
void bitmask_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1) {
  const T* values = static_cast<const T*>(w.values);
  if (a.batch < kBitmaskTileMinBatch) {
    f32_rows<kF32Group<S>, 1>(w, a, out, r0, r1, [&](int r, const float* x, size_t ldx, float* s, auto, auto g) {
      bitmask_row_dots<S, T, decltype(g)::value>(w.meta + (size_t)r * w.meta_stride(), values + w.offsets[r], x,
                                                 ldx, w.cols, s);
    });
    return;
  }
  static thread_local std::vector<const T*> next;
  if (next.size() < (size_t)w.rows) next.resize(w.rows);
  BitmaskPanels<S, T> panels{w, next.data()};
  tiled_panels<S>(out, a.xf, (size_t)a.ldx, panels, a.batch, w.rows, w.cols, r0, r1,
                  [&](int r, float s) { return row_scale(w, r) * s; });
}

// G tokens against one row: each 64/32/8-column block is expanded once and meets every token's activations;
// two blocks per step give 2*G independent dot-product chains.
template <class Q, int G>
inline void bitmask_w8a8_tokens(const uint8_t* mrow, const int8_t* p, const int8_t* x, int cols, int32_t* s) {
  typename Q::acc a0[G], a1[G];
  for (int g = 0; g < G; g++) a0[g] = a1[g] = Q::zero();
  int c = 0;
  for (; c + 2 * Q::QB <= cols; c += 2 * Q::QB) {
    prefetch_ahead<Q::kPrefetchBytes>(mrow + c / 8);
    auto w0 = Q::expand(read_bits<Q::QB>(mrow, c), p);
    prefetch_ahead<Q::kPrefetchBytes>(p);  // an expand reads at most one line of values
    auto w1 = Q::expand(read_bits<Q::QB>(mrow, c + Q::QB), p);
    prefetch_ahead<Q::kPrefetchBytes>(p);
    for (int g = 0; g < G; g++) {
      a0[g] = Q::dot(a0[g], w0, x + (size_t)g * cols + c);
      a1[g] = Q::dot(a1[g], w1, x + (size_t)g * cols + c + Q::QB);
    }
  }
  for (; c + Q::QB <= cols; c += Q::QB) {
    auto w0 = Q::expand(read_bits<Q::QB>(mrow, c), p);
    for (int g = 0; g < G; g++) a0[g] = Q::dot(a0[g], w0, x + (size_t)g * cols + c);
  }
  for (int g = 0; g < G; g++) s[g] = Q::sum(a0[g]) + Q::sum(a1[g]);
  for (; c < cols; c++) {
    if (!bit_at(mrow, c)) continue;
    for (int g = 0; g < G; g++) s[g] += (int32_t)*p * prepared_value<Q>(x[(size_t)g * cols + c]);
    p++;
  }
}

// Tokens from which bitmask W8A8 rows are expanded for the dense kernel: at 8 tokens 0.9-1.5x the token groups,
// at 16 1.0-1.8x, at 64 1.5-2.2x (AVX-512 VNNI and AVX2 on the Ice Lake Xeon; docs/benchmarks.md, stop 31).
constexpr int kBitmaskW8A8ExpandFrom = 8;

template <class Q>
void bitmask_w8a8_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1) {
  const int8_t* values = static_cast<const int8_t*>(w.values);
  auto mrow = [&](int r) { return w.meta + (size_t)r * w.meta_stride(); };
  w8a8_rows<Q>(
      w, a, out, r0, r1, kBitmaskW8A8ExpandFrom,
      [&](int r, const int8_t* x, int32_t* s, auto g) {
        bitmask_w8a8_tokens<Q, decltype(g)::value>(mrow(r), values + w.offsets[r], x, w.cols, s);
      },
      [&](int r, int8_t* dst) { expand_w8a8_row<Q, BitmaskColumns>(mrow(r), values + w.offsets[r], w.cols, dst); });
}

}  // namespace
