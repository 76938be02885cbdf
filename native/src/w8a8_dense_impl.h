// The dense W8A8 batch kernel: NR int8 weight rows against groups of up to 4 tokens, exact int32 sums. Shared by
// the dense int8 kernels (int8_impl.h) and the sparse W8A8 prefill, which expands its rows into dense int8 rows
// first (sparse_rows_common.h). Q: the W8A8 traits (simd_sparse_<isa>.h: Block, dot, sum, kOffset). Include inside
// a kernel file's target region.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "stream_prefetch.h"

namespace {

template <class Q>
inline typename Q::Block load_block(const int8_t* p) {
  typename Q::Block b;
  std::memcpy(&b, p, sizeof b);  // one unaligned vector load
  return b;
}

// W8A8: G tokens against NR weight rows (cols apart), QB weights per step: each weight block is loaded once for the
// G tokens and each activation block once for the NR rows (with its |x| on AVX2). Exact int32 sums of w times the
// prepared activations (x, or x + 128 for offset traits) go to s[i * G + j] (row i, token j); being exact, they
// do not depend on how the products are grouped.
constexpr int kW8A8PrefetchBytes = 1024;  // measured on the AVX2 EPYC (stream_prefetch.h)

template <class Q, int NR, int G>
inline void w8a8_tokens(const int8_t* wr, const int8_t* x, int cols, int32_t* s) {
  using A = typename Q::acc;
  constexpr int B = Q::QB;
  const int cq = cols / B * B;
  A a[NR][G];
  for (int i = 0; i < NR; i++)
    for (int j = 0; j < G; j++) a[i][j] = Q::zero();
  for (int c = 0; c < cq; c += B) {
    if (G == 1 && NR == 1) prefetch_ahead<kW8A8PrefetchBytes>(wr + c);  // decode (stream_prefetch.h)
    typename Q::Block w[NR];
    for (int i = 0; i < NR; i++) w[i] = load_block<Q>(wr + (size_t)i * cols + c);
    for (int j = 0; j < G; j++)
      for (int i = 0; i < NR; i++) a[i][j] = Q::dot(a[i][j], w[i], x + (size_t)j * cols + c);
  }
  for (int i = 0; i < NR; i++)
    for (int j = 0; j < G; j++) {
      int32_t t = Q::sum(a[i][j]);
      for (int k = cq; k < cols; k++) {
        const int8_t v = x[(size_t)j * cols + k];
        t += (int32_t)wr[(size_t)i * cols + k] * (Q::kOffset ? (int32_t)(uint8_t)v : (int32_t)v);
      }
      s[i * G + j] = t;
    }
}

// Rows [r, r + NR) of the output for every token, four at a time; wr holds their weights (cols apart), from the
// matrix itself or, for the sparse formats, rows expanded into a scratch buffer (sparse_rows_common.h).
template <class Q, int NR>
inline void w8a8_row_group(float* out, const int8_t* xs, const float* x_scales, const int8_t* wr, const float* scales,
                           const int32_t* row_sums, int batch, int rows, int cols, int r) {
  for (int b = 0; b < batch; b += 4) {
    int32_t s[NR * 4];
    const int8_t* xb = xs + (size_t)b * cols;
    const int g = std::min(4, batch - b);
    switch (g) {
      case 1: w8a8_tokens<Q, NR, 1>(wr, xb, cols, s); break;
      case 2: w8a8_tokens<Q, NR, 2>(wr, xb, cols, s); break;
      case 3: w8a8_tokens<Q, NR, 3>(wr, xb, cols, s); break;
      default: w8a8_tokens<Q, NR, 4>(wr, xb, cols, s); break;
    }
    for (int i = 0; i < NR; i++) {
      const int32_t offset = Q::kOffset ? 128 * row_sums[r + i] : 0;
      // The same expression as the Java oracle (DenseInt8Weight.referenceMatmul): bit-identical results.
      for (int j = 0; j < g; j++)
        out[(size_t)(b + j) * rows + r + i] = (float)(s[i * g + j] - offset) * (x_scales[b + j] * scales[r + i]);
    }
  }
}

// Rows a batch takes at a time: each activation block loaded serves them all. 512-bit traits: 4 (16 accumulators
// of 32 registers); narrower ones: 2 (AVX2 has 16 registers).
template <class Q>
constexpr int kW8A8BatchRows = sizeof(typename Q::acc) >= 64 ? 4 : 2;

}  // namespace
