// Q8_0 / Q4_0 int8 block traits on 256-bit registers (q8_0_impl.h), shared by the AVX2 and AVX-512 rows: a block
// of 32 int8 fills one ymm, so AVX-512 gains nothing without VNNI. Include only inside a target region with AVX2.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace {
struct Q8BlocksYmm {
  using wvec = __m256i;
  using acc = __m256;
  static inline wvec load_q8(const uint8_t* qs) { return _mm256_loadu_si256((const __m256i*)qs); }
  static inline acc zero() { return _mm256_setzero_ps(); }
  // |w| (as unsigned: -128 gives 128) times x·sign(w) in pairs (vpmaddubsw: at most 2·128·127, no saturation),
  // pairs summed to int32 (vpmaddwd), then scaled into the float accumulator.
  static inline acc fma_block(acc a, float scale, wvec w, const int8_t* x) {
    __m256i xv = _mm256_loadu_si256((const __m256i*)x);
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w));
    __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
    return _mm256_fmadd_ps(_mm256_set1_ps(scale), _mm256_cvtepi32_ps(p32), a);
  }
  // The nibbles as unsigned bytes straight into vpmaddubsw (pairs at most 2·15·127), then the offsets of the 8
  // taken off each int32 lane: the same lane values as fma_block on nibbles minus 8, exactly.
  static inline acc fma_q4(acc a, float scale, const uint8_t* qs, const int8_t* x, const int32_t* off) {
    __m128i q = _mm_loadu_si128((const __m128i*)qs);
    __m256i w = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(15));
    __m256i p16 = _mm256_maddubs_epi16(w, _mm256_loadu_si256((const __m256i*)x));
    __m256i p32 = _mm256_sub_epi32(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)),
                                   _mm256_loadu_si256((const __m256i*)off));
    return _mm256_fmadd_ps(_mm256_set1_ps(scale), _mm256_cvtepi32_ps(p32), a);
  }
  static inline float half(const uint8_t* p) {
    uint16_t h;
    __builtin_memcpy(&h, p, 2);
    return _cvtsh_ss(h);
  }
  static inline float sum(acc a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
}  // namespace
