// Helpers shared by the sparse kernel families (included inside each ISA's target region).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sparse_mat.h"

namespace {

// N bits of a row's bit stream starting at `bit` (N <= 64). Callers with N a multiple of 8 pass a
// byte-aligned `bit`, so the read is one little-endian load.
template <int N>
inline uint64_t read_bits(const uint8_t* row, int bit) {
  if constexpr (N % 8 == 0) {
    return sj::load_bits(row + bit / 8, N / 8);
  } else {
    uint64_t v = sj::load_bits(row + bit / 8, (bit % 8 + N + 7) / 8) >> (bit % 8);
    return v & ((1ULL << N) - 1);
  }
}

inline bool bit_at(const uint8_t* row, int c) { return (row[c / 8] >> (c % 8)) & 1; }

// Prefill: out[b][r] for one row, every token, from its kept (column, value) list against activations
// transposed in tiles of 4 vectors of tokens. Each kept weight is broadcast once and multiplies 4*W tokens:
// the work follows the non-zeros, not the dense shape.
template <class V>
inline void rowlist_tiles(const int32_t* cols, const float* vals, int n, const float* xt, int ncols, int batch,
                          float* out, int rows, int r) {
  using R = typename V::reg;
  constexpr int BT = 4 * V::W;
  for (int t0 = 0; t0 < batch; t0 += BT) {
    const float* x = xt + (size_t)(t0 / BT) * ncols * BT;
    R a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
    R b0 = V::zero(), b1 = V::zero(), b2 = V::zero(), b3 = V::zero();
    int i = 0;
    for (; i + 2 <= n; i += 2) {  // two kept weights per step: eight independent FMA chains
      const float* x0 = x + (size_t)cols[i] * BT;
      const float* x1 = x + (size_t)cols[i + 1] * BT;
      R v0 = V::set1(vals[i]), v1 = V::set1(vals[i + 1]);
      a0 = V::fma(v0, V::load(x0), a0);
      a1 = V::fma(v0, V::load(x0 + V::W), a1);
      a2 = V::fma(v0, V::load(x0 + 2 * V::W), a2);
      a3 = V::fma(v0, V::load(x0 + 3 * V::W), a3);
      b0 = V::fma(v1, V::load(x1), b0);
      b1 = V::fma(v1, V::load(x1 + V::W), b1);
      b2 = V::fma(v1, V::load(x1 + 2 * V::W), b2);
      b3 = V::fma(v1, V::load(x1 + 3 * V::W), b3);
    }
    if (i < n) {
      const float* x0 = x + (size_t)cols[i] * BT;
      R v0 = V::set1(vals[i]);
      a0 = V::fma(v0, V::load(x0), a0);
      a1 = V::fma(v0, V::load(x0 + V::W), a1);
      a2 = V::fma(v0, V::load(x0 + 2 * V::W), a2);
      a3 = V::fma(v0, V::load(x0 + 3 * V::W), a3);
    }
    alignas(64) float acc[BT];
    V::store(acc, V::add(a0, b0));
    V::store(acc + V::W, V::add(a1, b1));
    V::store(acc + 2 * V::W, V::add(a2, b2));
    V::store(acc + 3 * V::W, V::add(a3, b3));
    int nb = std::min(BT, batch - t0);
    for (int j = 0; j < nb; j++) out[(size_t)(t0 + j) * rows + r] = acc[j];
  }
}

// Runs rowlist_tiles over rows [r0, r1), each row first unpacked by decode(r, cols, vals) -> count.
template <class V, class Decode>
inline void tiled_rows(int rows, int ncols, const float* xt, int batch, float* out, int r0, int r1,
                       Decode decode) {
  static thread_local std::vector<int32_t> cols;
  static thread_local std::vector<float> vals;
  if ((int)cols.size() < ncols) {
    cols.resize(ncols);
    vals.resize(ncols);
  }
  for (int r = r0; r < r1; r++) {
    int n = decode(r, cols.data(), vals.data());
    rowlist_tiles<V>(cols.data(), vals.data(), n, xt, ncols, batch, out, rows, r);
  }
}

// W8A8 activations as the traits Q multiply them: VNNI (vpdpbusd: unsigned x signed) takes x + 128 as unsigned
// bytes, and the kernel subtracts 128 * row_sum; other traits take x as it is. Returns [batch][cols] bytes.
template <class Q>
inline const int8_t* prepared_activations(const sj::Activations& a, int cols) {
  if constexpr (!Q::kOffset) {
    return a.xq;
  } else {
    static thread_local std::vector<int8_t> xu;
    const size_t n = (size_t)a.batch * cols;
    if (xu.size() < n) xu.resize(n);
    for (size_t i = 0; i < n; i++) xu[i] = (int8_t)(a.xq[i] ^ 0x80);  // x + 128 for x in [-127, 127]
    return xu.data();
  }
}

// One activation byte of a prepared row as the integer it stands for in the offset sum.
template <class Q>
inline int32_t prepared_value(int8_t v) {
  return Q::kOffset ? (int32_t)(uint8_t)v : (int32_t)v;
}

template <class Q>
inline int32_t offset_correction(const sj::SparseMat& w, int r) {
  return Q::kOffset ? 128 * w.row_sums[r] : 0;
}

// W8A8 activation quantization of one row (plain loops: the target region vectorizes them).
inline float absmax_row(const float* x, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; i++) m = std::max(m, x[i] < 0 ? -x[i] : x[i]);
  return m;
}

inline void quantize_row(int8_t* q, const float* x, float inv, int n) {
  for (int i = 0; i < n; i++) {
    float v = __builtin_nearbyintf(x[i] * inv);  // round half to even, as Java's Math.rint
    q[i] = (int8_t)std::min(127.0f, std::max(-127.0f, v));
  }
}

}  // namespace
