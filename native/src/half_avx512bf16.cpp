// BF16 weights on AVX-512 BF16 (Cooper Lake, Sapphire Rapids, Zen 4): vdpbf16ps multiplies 32 BF16 weights with
// 32 BF16 activations into 16 F32 sums per instruction. Activations are F32, so each batch row is split once per
// call into two BF16 terms, x = hi + lo (lo = bf16(x - hi)), and both run: the product keeps ~16 of x's 24
// mantissa bits where a single BF16 x would keep 8. F16 weights run the AVX-512 widening kernel.
// The CPUs that build this may lack AVX-512 BF16: dispatch.cpp selects it only where CPUID reports it.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <immintrin.h>

#include <vector>

SJ_ISA_BEGIN(avx512bf16)
#include "simd_avx512.h"
#include "half_impl.h"

namespace {

struct HalfAvx512Bf16 : VecAvx512 {
  static inline reg widen_bf16(const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16));
  }
  static inline reg widen_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p)); }
};

constexpr int kPair = 32;  // BF16 values per vdpbf16ps operand

// hi and lo BF16 terms of one activation row, padded with zeros to a multiple of 32.
void split_row(const float* x, int n, int padded, uint16_t* hi, uint16_t* lo) {
  for (int c = 0; c < padded; c += kPair) {
    __m512 x0 = _mm512_maskz_loadu_ps(c + 16 <= n ? 0xffff : c < n ? (__mmask16)((1u << (n - c)) - 1) : 0, x + c);
    __m512 x1 = _mm512_maskz_loadu_ps(c + 32 <= n ? 0xffff : c + 16 < n ? (__mmask16)((1u << (n - c - 16)) - 1) : 0,
                                      x + c + 16);
    __m512bh h = _mm512_cvtne2ps_pbh(x1, x0);
    __m512i hv = (__m512i)h;
    __m512 h0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(hv)), 16));
    __m512 h1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(hv, 1)), 16));
    __m512bh l = _mm512_cvtne2ps_pbh(_mm512_sub_ps(x1, h1), _mm512_sub_ps(x0, h0));
    _mm512_storeu_si512(hi + c, hv);
    _mm512_storeu_si512(lo + c, (__m512i)l);
  }
}

// 32 weights at c, zeros past n (masked load: no scalar tail, no read past the row).
inline __m512bh load_w(const uint16_t* w, int c, int n) {
  __mmask32 m = c + kPair <= n ? 0xffffffffu : (__mmask32)((1ull << (n - c)) - 1);
  return (__m512bh)_mm512_maskz_loadu_epi16(m, w + c);
}

inline __m512 dp(__m512 acc, __m512bh w, const uint16_t* hi, const uint16_t* lo, int c) {
  acc = _mm512_dpbf16_ps(acc, w, (__m512bh)_mm512_loadu_si512(lo + c));
  return _mm512_dpbf16_ps(acc, w, (__m512bh)_mm512_loadu_si512(hi + c));
}

// One row: two accumulator chains over alternate 32-column steps, the last partial step masked.
inline float dot_bf16(const uint16_t* w, const uint16_t* hi, const uint16_t* lo, int n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int c = 0;
  for (; c + 2 * kPair <= n; c += 2 * kPair) {
    prefetch_ahead(w + c);  // two cache lines a step
    prefetch_ahead(w + c + kPair);
    a0 = dp(a0, load_w(w, c, n), hi, lo, c);
    a1 = dp(a1, load_w(w, c + kPair, n), hi, lo, c + kPair);
  }
  for (; c < n; c += kPair) a0 = dp(a0, load_w(w, c, n), hi, lo, c);
  return VecAvx512::sum(_mm512_add_ps(a0, a1));
}

// Four rows at once with each x step loaded once; every row's sum runs exactly as dot_bf16's.
inline void dot4_bf16(const uint16_t* w, size_t cols, const uint16_t* hi, const uint16_t* lo, int n, float* s) {
  __m512 a[4], b[4];
  for (int k = 0; k < 4; k++) a[k] = b[k] = _mm512_setzero_ps();
  int c = 0;
  for (; c + 2 * kPair <= n; c += 2 * kPair)
    for (int k = 0; k < 4; k++) {
      a[k] = dp(a[k], load_w(w + k * cols, c, n), hi, lo, c);
      b[k] = dp(b[k], load_w(w + k * cols, c + kPair, n), hi, lo, c + kPair);
    }
  for (; c < n; c += kPair)
    for (int k = 0; k < 4; k++) a[k] = dp(a[k], load_w(w + k * cols, c, n), hi, lo, c);
  for (int k = 0; k < 4; k++) s[k] = VecAvx512::sum(_mm512_add_ps(a[k], b[k]));
}

void bf16_dp_rows(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols, int r0, int r1) {
  const int padded = (cols + kPair - 1) / kPair * kPair;
  static thread_local std::vector<uint16_t> split;  // [batch][hi, lo][padded]
  if (split.size() < (size_t)batch * 2 * padded) split.resize((size_t)batch * 2 * padded);
  for (int b = 0; b < batch; b++) {
    uint16_t* hi = split.data() + (size_t)b * 2 * padded;
    split_row(x + (size_t)b * cols, cols, padded, hi, hi + padded);
  }
  auto hi = [&](int b) { return split.data() + (size_t)b * 2 * padded; };
  if (batch == 1) {
    for (int r = r0; r < r1; r++) out[r] = dot_bf16(w + (size_t)r * cols, hi(0), hi(0) + padded, cols);
    return;
  }
  int r = r0;
  for (; r + 4 <= r1; r += 4)
    for (int b = 0; b < batch; b++) {
      float s[4];
      dot4_bf16(w + (size_t)r * cols, cols, hi(b), hi(b) + padded, cols, s);
      float* o = out + (size_t)b * rows + r;
      o[0] = s[0]; o[1] = s[1]; o[2] = s[2]; o[3] = s[3];
    }
  for (; r < r1; r++)
    for (int b = 0; b < batch; b++)
      out[(size_t)b * rows + r] = dot_bf16(w + (size_t)r * cols, hi(b), hi(b) + padded, cols);
}

}  // namespace

namespace sj {
extern const HalfTable half_avx512bf16{"avx512bf16", &bf16_dp_rows, make_half_table<HalfAvx512Bf16>("").f16};
}
SJ_ISA_END
