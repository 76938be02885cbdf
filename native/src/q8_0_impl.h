// ISA-generic row kernels of the ggml block formats Q8_0 and Q4_0 (32 weights and one f16 scale per block), on
// activations quantized to the same blocks as llama.cpp does (Q8_0 activations: int8 values with one f32 scale
// per 32; sj_quantize_q8_blocks). Each q8_0_<isa>.cpp includes this inside its own target region with V set to
// int8 block traits:
//   wvec load_q8(const uint8_t* qs)   32 int8 weights
//   acc  zero()                        acc fma_block(acc, float scale, wvec w, const int8_t* x32): acc + scale ·
//   float sum(acc)                     Σ w·x, the products summed exactly in int32
//   float half(const uint8_t* p)       the f16 block scale at p as a float (exact)
//   acc  fma_q4(acc, float scale, const uint8_t* qs, const int8_t* x32, const int32_t* off8): fma_block with the
//        32 nibbles of qs minus 8, computed as Σ nibble·x − off8 (q4_offsets, q8_0_ops.cpp), the same int32
//        values exactly
// Each output is one chain of blocks in a fixed order, so a row of a batch equals the row alone bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "half_bits.h"
#include "q8_0_table.h"
#include "stream_prefetch.h"

namespace {

constexpr int kQ8Block = 32;

// The f16 block scale at p (unaligned) as a float, exactly.
inline float q8_f16_to_f32(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// How one block stores its 32 values after the f16 scale (the block's first two bytes in both).
// off: the block's 8 activation offsets (q4_offsets, q8_0_ops.cpp; Q4_0 only).
struct BlockQ8_0 {
  static constexpr int kBytes = 34;  // d, then 32 int8
  static constexpr bool kOffsets = false;
  template <class V>
  static inline typename V::acc fma(typename V::acc a, float scale, const uint8_t* b, const int8_t* x,
                                    const int32_t* off) {
    return V::fma_block(a, scale, V::load_q8(b + 2), x);
  }
};

struct BlockQ4_0 {
  static constexpr int kBytes = 18;  // d, then 16 bytes: value j is the low nibble of byte j, value 16+j the high
  static constexpr bool kOffsets = true;
  template <class V>
  static inline typename V::acc fma(typename V::acc a, float scale, const uint8_t* b, const int8_t* x,
                                    const int32_t* off) {
    return V::fma_q4(a, scale, b + 2, x, off);
  }
};

// NR rows from w_row against NT quantized activation rows (xq, xd, off: the first; cols, nb apart): each x block is
// loaded once for NR weight blocks and each weight block once for NT tokens. dw: the NR rows' block scales as
// floats, nb apart. s[t * NR + i]: token t, row i.
template <class V, class B, int NR, int NT>
inline void block_dot(const uint8_t* w_row, size_t row_bytes, const float* dw, int nb, int cols, const int8_t* xq,
                      const float* xd, const int32_t* off, float* s) {
  typename V::acc acc[NT][NR];
  for (int t = 0; t < NT; t++)
    for (int i = 0; i < NR; i++) acc[t][i] = V::zero();
  for (int k = 0; k < nb; k++) {
    for (int i = 0; i < NR; i++) {
      const uint8_t* b = w_row + i * row_bytes + (size_t)k * B::kBytes;
      const float d = dw[(size_t)i * nb + k];
      for (int t = 0; t < NT; t++)
        acc[t][i] = B::template fma<V>(acc[t][i], d * xd[(size_t)t * nb + k], b,
                                       xq + (size_t)t * cols + (size_t)k * kQ8Block,
                                       B::kOffsets ? off + ((size_t)t * nb + k) * 8 : nullptr);
    }
  }
  for (int t = 0; t < NT; t++)
    for (int i = 0; i < NR; i++) s[t * NR + i] = V::sum(acc[t][i]);
}

// One row against one activation row, its block scales converted as they are read. Batch 1 (decode) runs this:
// nothing amortizes a pre-pass over the scales there, and one stream per row reads memory faster than four
// interleaved ones (as ggml's vec_dot reads a row). The same chain of blocks as block_dot, so the same bits.
// Fetching kPrefetchBytes ahead (into the next rows at a row's end) took the 2-thread decode step's matmuls from
// 10 to 8 ms (11.5 to 14.5 GB/s, the machine's plain read rate) on the AVX2 EPYC: the hardware prefetcher alone
// kept too few lines in flight (docs/benchmarks.md, "Q8_0 and Q4_0 decode").
constexpr int kPrefetchBytes = 1024;

template <class V, class B>
inline float row_dot(const uint8_t* w_row, int nb, const int8_t* xq, const float* xd, const int32_t* off) {
  typename V::acc acc = V::zero();
  for (int k = 0; k < nb; k++) {
    const uint8_t* b = w_row + (size_t)k * B::kBytes;
    prefetch_ahead<kPrefetchBytes>(b);  // stream_prefetch.h
    acc = B::template fma<V>(acc, V::half(b) * xd[k], b, xq + (size_t)k * kQ8Block,
                             B::kOffsets ? off + (size_t)k * 8 : nullptr);
  }
  return V::sum(acc);
}

// The block scales of rows [r, r + nr) as floats, converted once for every token of the batch (V::half: F16C
// where the ISA has it; the software conversion cost as much as the int8 dot of a block at batch 1).
template <class V, class B>
inline void row_scales(float* dw, const uint8_t* w, size_t row_bytes, int r, int nr, int nb) {
  for (int i = 0; i < nr; i++)
    for (int k = 0; k < nb; k++)
      dw[(size_t)i * nb + k] = V::half(w + (r + i) * row_bytes + (size_t)k * B::kBytes);
}

// Tokens of a batch that meet each weight block together (block_dot's NT): the block's load and |w| serve both.
// 2, 3 and 4 each took the 84 batch-64 matmuls of a stories110M pass from 126-129 ms to 101-122 ms in one quiet
// sitting of a stand-alone driver (docs/benchmarks.md); 2 keeps 8 accumulators, within AVX2's 16 registers.
constexpr int kQ8Tokens = 2;

// Rows [r, r + NR) for tokens [b, b + NT) into out.
template <class V, class B, int NR, int NT>
inline void block_rows(float* out, const uint8_t* w, size_t row_bytes, const float* dw, int nb, int cols,
                       const int8_t* xq, const float* xd, const int32_t* off, int rows, int r, int b) {
  float s[NT * NR];
  block_dot<V, B, NR, NT>(w + r * row_bytes, row_bytes, dw, nb, cols, xq + (size_t)b * cols, xd + (size_t)b * nb,
                          B::kOffsets ? off + (size_t)b * nb * 8 : nullptr, s);
  for (int t = 0; t < NT; t++)
    for (int i = 0; i < NR; i++) out[(size_t)(b + t) * rows + r + i] = s[t * NR + i];
}

// Rows [r0, r1) of out = x · Wᵀ for a weight of blocks B, x given as Q8_0 activations xq/xd (and off, Q4_0).
template <class V, class B>
void matmul_block_rows(float* out, const int8_t* xq, const float* xd, const int32_t* off, const uint8_t* w,
                       int batch, int rows, int cols, int r0, int r1) {
  const int nb = cols / kQ8Block;
  const size_t row_bytes = (size_t)nb * B::kBytes;
  if (batch == 1) {
    for (int r = r0; r < r1; r++) out[r] = row_dot<V, B>(w + r * row_bytes, nb, xq, xd, off);
    return;
  }
  std::vector<float> dw((size_t)4 * nb);
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    row_scales<V, B>(dw.data(), w, row_bytes, r, 4, nb);
    int b = 0;
    for (; b + kQ8Tokens <= batch; b += kQ8Tokens)
      block_rows<V, B, 4, kQ8Tokens>(out, w, row_bytes, dw.data(), nb, cols, xq, xd, off, rows, r, b);
    for (; b < batch; b++) block_rows<V, B, 4, 1>(out, w, row_bytes, dw.data(), nb, cols, xq, xd, off, rows, r, b);
  }
  for (; r < r1; r++) {
    row_scales<V, B>(dw.data(), w, row_bytes, r, 1, nb);
    for (int b = 0; b < batch; b++)
      block_rows<V, B, 1, 1>(out, w, row_bytes, dw.data(), nb, cols, xq, xd, off, rows, r, b);
  }
}

}  // namespace
