// 2:4 semi-structured kernels, generic over the sparse traits S and the W8A8 traits Q. Decode takes W stored
// values at a time (2W columns): their 2-bit indices build a permutation that gathers the W matching
// activations from two vectors of x, and one FMA follows; no zero is ever multiplied.
#pragma once
#include <cstdint>

#include "sparse_rows_common.h"

namespace {

inline int s24_index(const uint8_t* irow, int k) { return (int)read_bits<2>(irow, 2 * k); }

// NR 2:4 rows (indices mstride bytes apart, values vstride apart) against G tokens (x_g = x + g * ldx), before the
// row scale, into s[n * G + g]; several rows only for one token (decode: NR weight streams in flight). Each step's
// values are loaded once and meet every token; each token of each row keeps 4 chains summed in one fixed order, so
// its result is the same for any G and NR.
template <class S, class T, int NR, int G>
inline void s24_row_dots(const uint8_t* irow, size_t mstride, const T* v, size_t vstride, const float* x, size_t ldx,
                         int cols, float* s) {
  static_assert(NR == 1 || G == 1, "several rows for one token, or one row for several tokens");
  using R = typename S::reg;
  constexpr int W = S::W;
  const int nv = cols / 2;
  R a[NR * G][4];
  for (int i = 0; i < NR * G; i++) a[i][0] = a[i][1] = a[i][2] = a[i][3] = S::zero();
  auto step = [&](int n, int k, int chain) {  // value k lives in group k/2, whose first column is 4*(k/2)
    const T* vk = v + n * vstride + k;
    const R w = S::load_vals(vk);
    prefetch_ahead<S::kPrefetchBytes>(vk);  // a step reads at most one line of values
    const uint32_t meta = (uint32_t)read_bits<2 * W>(irow + n * mstride, 2 * k);
    for (int g = 0; g < G; g++)
      a[n * G + g][chain] = S::fma(w, S::select24(x + g * ldx + 4 * (k / 2), meta), a[n * G + g][chain]);
  };
  int k = 0;
  for (; k + 4 * W <= nv; k += 4 * W)
    for (int n = 0; n < NR; n++) {
      prefetch_ahead<S::kPrefetchBytes>(irow + n * mstride + k / 4);
      for (int j = 0; j < 4; j++) step(n, k + j * W, j);
    }
  const int k_vec = k;
  for (int n = 0; n < NR; n++) {
    for (k = k_vec; k + W <= nv; k += W) step(n, k, 0);
    for (int g = 0; g < G; g++) {
      const R* c = a[n * G + g];
      s[n * G + g] = S::sum(S::add(S::add(c[0], c[2]), S::add(c[1], c[3])));
    }
    for (; k < nv; k++) {
      const float w = (float)v[n * vstride + k];
      const int col = 4 * (k / 2) + s24_index(irow + n * mstride, k);
      for (int g = 0; g < G; g++) s[n * G + g] = __builtin_fmaf(w, x[g * ldx + col], s[n * G + g]);  // fused, by hand
    }
  }
}

// Every batch on the row kernels. The bitmask kernels reading 2:4 indices as mask bits (TwoFourColumns), the tile
// kernel on 2:4 panels included, ran 64-token prefill 1.3-1.8x faster, but then decode must take dot_f32's chains
// over expanded columns to keep a token's result batch-independent, and so, even two rows at a time, ran
// 0.80-0.89x as fast as these in F32 and 0.5-0.6x in int8 (AVX-512 VNNI; docs/benchmarks.md, stop 31, "Tried and
// dropped"): not taken while decode is the goal.
template <class S, class T>
void sparse24_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1) {
  const T* values = static_cast<const T*>(w.values);
  const size_t vstride = (size_t)w.cols / 2;
  f32_rows<kF32Group<S>, S::kDecodeRows24>(w, a, out, r0, r1,
                                           [&](int r, const float* x, size_t ldx, float* s, auto nr, auto g) {
    s24_row_dots<S, T, decltype(nr)::value, decltype(g)::value>(w.meta + (size_t)r * w.meta_stride(), w.meta_stride(),
                                                                values + r * vstride, vstride, x, ldx, w.cols, s);
  });
}

// G tokens against one 2:4 row: each step's index decoding is done once and serves every token.
template <class Q, int G>
inline void s24_w8a8_tokens(const uint8_t* irow, const int8_t* v, const int8_t* x, int cols, int32_t* s) {
  constexpr int QV = Q::QB / 2;  // values per step
  const int nv = cols / 2;
  typename Q::acc a0[G], a1[G];
  for (int g = 0; g < G; g++) a0[g] = a1[g] = Q::zero();
  int k = 0;
  for (; k + 2 * QV <= nv; k += 2 * QV) {
    prefetch_ahead<Q::kPrefetchBytes>(irow + k / 4);
    prefetch_ahead<Q::kPrefetchBytes>(v + k);  // the step's 2 * QV values: at most one line
    auto s0 = Q::s24_select(v + k, read_bits<Q::QB>(irow, 2 * k));
    auto s1 = Q::s24_select(v + k + QV, read_bits<Q::QB>(irow, 2 * (k + QV)));
    for (int g = 0; g < G; g++) {
      a0[g] = Q::s24_dot(a0[g], s0, x + (size_t)g * cols + 2 * k);
      a1[g] = Q::s24_dot(a1[g], s1, x + (size_t)g * cols + 2 * (k + QV));
    }
  }
  for (; k + QV <= nv; k += QV) {
    auto s0 = Q::s24_select(v + k, read_bits<Q::QB>(irow, 2 * k));
    for (int g = 0; g < G; g++) a0[g] = Q::s24_dot(a0[g], s0, x + (size_t)g * cols + 2 * k);
  }
  for (int g = 0; g < G; g++) s[g] = Q::sum(a0[g]) + Q::sum(a1[g]);
  for (; k < nv; k++) {
    const int col = 4 * (k / 2) + s24_index(irow, k);
    for (int g = 0; g < G; g++) s[g] += (int32_t)v[k] * prepared_value<Q>(x[(size_t)g * cols + col]);
  }
}

// Tokens from which 2:4 W8A8 rows are expanded for the dense kernel. The 2:4 token groups multiply no zero (on
// AVX2 one vpmaddubsw covers 64 columns), so they hold out longer than the bitmask ones: at 8 tokens the expanded
// rows ran 0.5-0.7x as fast on AVX2, at 16 0.85-1.2x, at 64 1.45-1.6x (docs/benchmarks.md, stop 31).
constexpr int kSparse24W8A8ExpandFrom = 32;

template <class Q>
void sparse24_w8a8_rows(const sj::SparseMat& w, const sj::Activations& a, float* out, int r0, int r1) {
  const int8_t* values = static_cast<const int8_t*>(w.values);
  auto irow = [&](int r) { return w.meta + (size_t)r * w.meta_stride(); };
  auto vrow = [&](int r) { return values + (size_t)r * (w.cols / 2); };
  w8a8_rows<Q>(
      w, a, out, r0, r1, kSparse24W8A8ExpandFrom,
      [&](int r, const int8_t* x, int32_t* s, auto g) {
        s24_w8a8_tokens<Q, decltype(g)::value>(irow(r), vrow(r), x, w.cols, s);
      },
      [&](int r, int8_t* dst) { expand_w8a8_row<Q, TwoFourColumns>(irow(r), vrow(r), w.cols, dst); });
}

}  // namespace
