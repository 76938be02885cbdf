// Helpers shared by the sparse kernel families (included inside each ISA's target region).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "sparse_lut.h"
#include "sparse_mat.h"
#include "stream_prefetch.h"
#include "w8a8_dense_impl.h"

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

// Where a sparse row's stored values go, as column mask bits: the bitmask format's own bits, or 2:4 indices read
// through sj::kS24Mask (two bits per group of 4, the values in column order), so one expand (expand_w8a8_row)
// serves both.
struct BitmaskColumns {
  template <int N>
  static inline uint64_t bits(const uint8_t* mrow, int c) { return read_bits<N>(mrow, c); }
  static inline bool at(const uint8_t* mrow, int c) { return bit_at(mrow, c); }
};

struct TwoFourColumns {
  // N columns from c, both multiples of 8: one table byte per 8 columns.
  template <int N>
  static inline uint64_t bits(const uint8_t* irow, int c) {
    static_assert(N % 8 == 0 && N <= 64, "whole index bytes, at most 64 columns");
    uint64_t m = 0;
    for (int j = 0; j < N / 8; j++) m |= (uint64_t)sj::kS24Mask.bits[irow[c / 8 + j]] << (8 * j);
    return m;
  }
  static inline bool at(const uint8_t* irow, int c) { return (sj::kS24Mask.bits[irow[c / 8]] >> (c % 8)) & 1; }
};

// One bitmask or 2:4 row (M: BitmaskColumns, TwoFourColumns; values from p) as cols int8 weights, zeros included,
// for the dense W8A8 batch kernel (w8a8_rows below): a block of QB columns per expand.
template <class Q, class M>
inline void expand_w8a8_row(const uint8_t* mrow, const int8_t* p, int cols, int8_t* dst) {
  static_assert(sizeof(typename Q::Block) == Q::QB, "a block holds QB weights");
  int c = 0;
  for (; c + Q::QB <= cols; c += Q::QB) {
    const typename Q::Block b = Q::expand(M::template bits<Q::QB>(mrow, c), p);
    std::memcpy(dst + c, &b, sizeof b);
  }
  for (; c < cols; c++) dst[c] = M::at(mrow, c) ? *p++ : 0;
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

// Batch invariance: every decode kernel below computes a token's result with the same operations in the same
// order whatever the batch, the token's place in it and the thread count (threads split rows, never a row), so a
// sequence decodes the same tokens alone and among others. Tokens go in groups of up to G (a compile-time
// constant, std::integral_constant): one unpacking of a row's weights serves the whole group, and each token keeps
// its own accumulators. fn(b, g) handles tokens [b, b + g) of [b0, b1).
template <int G, class Fn>
inline void token_groups(int b0, int b1, Fn fn) {
  static_assert(G >= 1 && G <= 4, "groups of 1 to 4 tokens");
  for (int b = b0; b < b1; b += G) {
    switch (std::min(G, b1 - b)) {
      case 1: fn(b, std::integral_constant<int, 1>{}); break;
      case 2: if constexpr (G >= 2) fn(b, std::integral_constant<int, 2>{}); break;
      case 3: if constexpr (G >= 3) fn(b, std::integral_constant<int, 3>{}); break;
      default: if constexpr (G >= 4) fn(b, std::integral_constant<int, 4>{}); break;
    }
  }
}

// Tokens per pass over a thread's rows: their activations (tokens * bytes_per_token) stay in L2 while each row,
// read once per pass, meets all of them. Only the speed depends on it, never a result.
inline int token_block(int batch, size_t bytes_per_token) {
  const int fit = (int)((size_t)(256 << 10) / std::max<size_t>(bytes_per_token, 1));
  return std::min(batch, std::max(4, fit / 4 * 4));
}

// Row r's scale: int8 weights carry one per row; f32 weights none.
inline float row_scale(const sj::SparseMat& w, int r) { return w.scales ? w.scales[r] : 1.0f; }

// Tokens per group of the f32-activation decode kernels: enough to share each expand, few enough that a group's
// 4 accumulators per token stay in registers (AVX2's 16: 3 tokens' 12, the expanded weights and their table row;
// AVX-512's 32).
template <class S>
constexpr int kF32Group = sizeof(typename S::reg) >= 64 ? 4 : 3;

// Several rows at a time in decode (one token), several weight streams in flight: on the AVX-512 Xeon two 2:4 F32
// rows at a time ran 1.1-1.2x faster than one, while the bitmask F32 rows ran up to 1.15x slower four or two at a
// time, and W8A8 rows four at a time slower still (docs/benchmarks.md, stop 26).
// Decode rows [r0, r1) NR at a time where the rows are long enough, the rest one at a time: rows(r, nr) handles rows
// [r, r + nr), nr a compile-time constant (std::integral_constant).
template <int NR, class Rows>
inline void decode_row_groups(int cols, int r0, int r1, Rows rows) {
  int r = r0;
  if constexpr (NR > 1)
    if (cols >= kMultiRowMinCols)
      for (; r + NR <= r1; r += NR) rows(r, std::integral_constant<int, NR>{});
  for (; r < r1; r++) rows(r, std::integral_constant<int, 1>{});
}

// F32-activation rows: for each block of tokens, each row r in [r0, r1), the tokens in groups of up to G (one
// token: rows in groups of NR); dots(r, x, ldx, s, nr, g) writes the nr * g sums of rows [r, r + nr) with the
// tokens at x (ldx floats apart) into s (row-major), before the row scale.
template <int G, int NR, class Dots>
inline void f32_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1, Dots dots) {
  if (a.batch == 1) {
    decode_row_groups<NR>(w.cols, r0, r1, [&](int r, auto nr) {
      float s[decltype(nr)::value];
      dots(r, a.xf, (size_t)a.ldx, s, nr, std::integral_constant<int, 1>{});
      for (int n = 0; n < decltype(nr)::value; n++) out[r + n] = row_scale(w, r + n) * s[n];
    });
    return;
  }
  const int tb = token_block(a.batch, (size_t)a.ldx * sizeof(float));
  for (int b0 = 0; b0 < a.batch; b0 += tb) {
    for (int r = r0; r < r1; r++) {
      const float scale = row_scale(w, r);
      token_groups<G>(b0, std::min(a.batch, b0 + tb), [&](int b, auto g) {
        float s[decltype(g)::value];
        dots(r, a.xf + (size_t)b * a.ldx, (size_t)a.ldx, s, std::integral_constant<int, 1>{}, g);
        for (int j = 0; j < decltype(g)::value; j++) out[(size_t)(b + j) * w.rows + r] = scale * s[j];
      });
    }
  }
}

// W8A8 rows: for each row r in [r0, r1), the tokens in groups of up to 4; tokens(r, x, s, g) writes the int32
// sums of the g tokens at x into s. From expand_from tokens on, each row is instead unpacked once, not once per
// group of 4 tokens: Q::Dense's kW8A8BatchRows rows at a time are expanded (expand_row(r, dst) writes row r's cols
// int8 weights, zeros included, to dst) and met by the dense W8A8 kernel. Scales the sums into out. (Integer
// sums: exact in any order, so both paths give the same results.)
template <class Q, class Tokens, class ExpandRow>
inline void w8a8_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1, int expand_from,
                      Tokens tokens, ExpandRow expand_row) {
  const int8_t* xs = prepared_activations<Q>(a, w.cols);
  if (a.batch >= expand_from) {
    using D = typename Q::Dense;
    static_assert(D::kOffset == Q::kOffset, "the dense traits take the activations as prepared for Q");
    constexpr int NR = kW8A8BatchRows<D>;
    static thread_local std::vector<int8_t> dense;
    if (dense.size() < (size_t)NR * w.cols) dense.resize((size_t)NR * w.cols);
    auto group = [&](int r, auto nr) {
      for (int i = 0; i < decltype(nr)::value; i++) expand_row(r + i, dense.data() + (size_t)i * w.cols);
      w8a8_row_group<D, decltype(nr)::value>(out, xs, a.xscale, dense.data(), w.scales, w.row_sums, a.batch,
                                              w.rows, w.cols, r);
    };
    int r = r0;
    for (; r + NR <= r1; r += NR) group(r, std::integral_constant<int, NR>{});
    for (; r < r1; r++) group(r, std::integral_constant<int, 1>{});
    return;
  }
  for (int r = r0; r < r1; r++) {
    token_groups<4>(0, a.batch, [&](int b, auto g) {
      int32_t s[decltype(g)::value];
      tokens(r, xs + (size_t)b * w.cols, s, g);
      for (int j = 0; j < decltype(g)::value; j++)
        out[(size_t)(b + j) * w.rows + r] =
            (float)(s[j] - offset_correction<Q>(w, r)) * (a.xscale[b + j] * w.scales[r]);
    });
  }
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
