// AVX2 sparse traits, 8 lanes. No expand instruction: a 256-entry table (sparse_lut.h) maps 8 mask bits to a
// permutation of the packed values. Include only inside a region compiled with target("avx2,fma,bmi,bmi2,popcnt").
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "simd_avx2.h"
#include "sparse_lut.h"

namespace {

struct SparseAvx2 : VecAvx2 {
  static constexpr int kI8Block = 0;  // no wide int8 expand: int8 rows go W columns at a time
  static inline __m256 lane_mask(uint32_t m) {
    const __m256i bits = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int)m), bits), bits));
  }
  static inline reg expand_f32(uint32_t m, const float*& p) {
    __m256i idx = _mm256_loadu_si256((const __m256i*)sj::kExpandLut.idx[m]);
    __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p), idx);
    p += _mm_popcnt_u32(m);
    return _mm256_and_ps(v, lane_mask(m));
  }
  // 8 packed int8 values under 8 mask bits, as 8 bytes.
  static inline __m128i expand8(uint32_t m, const int8_t*& p) {
    __m128i ctl = _mm_cvtsi64_si128((long long)sj::kExpandLut.bytes[m]);
    __m128i b = _mm_shuffle_epi8(_mm_loadl_epi64((const __m128i*)p), ctl);
    p += _mm_popcnt_u32(m);
    return b;
  }
  static inline reg expand_i8(uint32_t m, const int8_t*& p) {
    // pshufb zeroes the bytes whose control has its top bit set: the table marks cleared mask bits so.
    __m128i b = expand8(m, p);
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  }
  static inline reg load_vals(const float* v) { return _mm256_loadu_ps(v); }
  static inline reg load_vals(const int8_t* v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)v)));
  }
  // 8 values covering 16 columns: index j selects x[4*(j/2) + meta_j] from two vectors with vpermps + blend.
  static inline reg select24(const float* x, uint32_t meta) {
    const __m256i shifts = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    const __m256i base = _mm256_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12);
    __m256i idx = _mm256_add_epi32(
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)meta), shifts), _mm256_set1_epi32(3)), base);
    __m256 lo = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x), idx);  // vpermps reads idx & 7
    __m256 hi = _mm256_permutevar8x32_ps(_mm256_loadu_ps(x + 8), idx);
    return _mm256_blendv_ps(lo, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28)));  // idx >= 8 -> hi
  }
};

// W8A8 on AVX2: |x| times w carrying x's sign (vpsignb) keeps vpmaddubsw's int16 pair sums below 2*127*127,
// so nothing saturates; vpmaddwd widens to int32.
struct I8Avx2 {
  using acc = __m256i;
  static constexpr int QB = 32;
  static constexpr bool kOffset = false;
  static inline acc zero() { return _mm256_setzero_si256(); }
  static inline int32_t sum(acc a) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
  }
  using Block = __m256i;
  struct Selected {
    __m256i ctl, w;
  };
  static inline acc dot_bytes(acc a, __m256i w, __m256i x) {
    __m256i prod = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(w, x));
    return _mm256_add_epi32(a, _mm256_madd_epi16(prod, _mm256_set1_epi16(1)));
  }
  static inline acc dot(acc a, Block w, const int8_t* x) {
    return dot_bytes(a, w, _mm256_loadu_si256((const __m256i*)x));
  }
  static inline __m128i expand8(uint32_t m, const int8_t*& p) { return SparseAvx2::expand8(m, p); }
  static inline Block expand(uint64_t m, const int8_t*& p) {
    __m128i b0 = expand8(m & 255, p), b1 = expand8((m >> 8) & 255, p);
    __m128i b2 = expand8((m >> 16) & 255, p), b3 = expand8((m >> 24) & 255, p);
    return _mm256_set_m128i(_mm_unpacklo_epi64(b2, b3), _mm_unpacklo_epi64(b0, b1));
  }
  // 16 values against 32 columns: each 128-bit lane of x (16 columns) feeds 8 values through one vpshufb.
  static inline uint64_t ctl4(uint32_t meta_byte, uint32_t base) {
    uint64_t c = 0;
    for (int k = 0; k < 4; k++) c |= (uint64_t)(base + 4 * (k / 2) + ((meta_byte >> (2 * k)) & 3)) << (8 * k);
    return c;
  }
  static inline Selected s24_select(const int8_t* v, uint64_t meta) {
    uint64_t lo = ctl4(meta & 255, 0) | ctl4((meta >> 8) & 255, 8) << 32;
    uint64_t hi = ctl4((meta >> 16) & 255, 0) | ctl4((meta >> 24) & 255, 8) << 32;
    const long long zero_ctl = (long long)0x8080808080808080ULL;
    return Selected{_mm256_set_epi64x(zero_ctl, (long long)hi, zero_ctl, (long long)lo),
                    _mm256_set_m128i(_mm_loadl_epi64((const __m128i*)(v + 8)), _mm_loadl_epi64((const __m128i*)v))};
  }
  static inline acc s24_dot(acc a, const Selected& s, const int8_t* x) {
    __m256i xs = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i*)x), s.ctl);
    return dot_bytes(a, s.w, xs);  // upper 8 bytes of each lane: x is zero there
  }
};

}  // namespace
