// AVX-512 traits, 16 floats. Include only inside a region compiled with an avx512f target.
#pragma once
#include <immintrin.h>

namespace {
struct VecAvx512 {
  using reg = __m512;
  static constexpr int W = 16;
  static inline reg zero() { return _mm512_setzero_ps(); }
  static inline reg set1(float v) { return _mm512_set1_ps(v); }
  static inline reg load(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static inline reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static inline reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static inline reg fma(reg a, reg b, reg acc) { return _mm512_fmadd_ps(a, b, acc); }
  static inline reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  static inline reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  // max/min as MAXPS/MINPS: b when either is NaN.
  static inline reg max(reg a, reg b) { return _mm512_max_ps(a, b); }
  static inline reg min(reg a, reg b) { return _mm512_min_ps(a, b); }
  static inline reg round(reg a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // a · 2^n for integral n, one rounding (subnormal results and overflow to infinity included).
  static inline reg scale2(reg a, reg n) { return _mm512_scalef_ps(a, n); }
  // The first n < W floats of p, `fill` in the other lanes (nothing past p + n is read); and the store of those.
  static inline reg load_first(const float* p, int n, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), (__mmask16)((1u << n) - 1), p);
  }
  static inline void store_first(float* p, reg v, int n) { _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v); }
  static inline float max_of(reg a) {
    __m256 h = _mm256_max_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Lane j of the result: the sum of a[j]'s lanes, by one tree the same for every j (elements 2 apart, then 1,
  // then the 128-bit quarters 1 apart, then 2), so a sum does not depend on which vectors share the call.
  static inline reg sum_each(const reg* a) {
    reg u[4];
    for (int g = 0; g < 4; g++) {
      const reg* v = a + 4 * g;
      reg t01 = _mm512_add_ps(_mm512_unpacklo_ps(v[0], v[1]), _mm512_unpackhi_ps(v[0], v[1]));
      reg t23 = _mm512_add_ps(_mm512_unpacklo_ps(v[2], v[3]), _mm512_unpackhi_ps(v[2], v[3]));
      // t01 per quarter: [a0+a2, b0+b2, a1+a3, b1+b3]; pair the 0/1 halves of t01 and t23.
      u[g] = _mm512_add_ps(_mm512_shuffle_ps(t01, t23, _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm512_shuffle_ps(t01, t23, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    // u[g] quarter c: the partial sums of elements 4c..4c+3 of a[4g..4g+3]; add the quarters of each u.
    reg s01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
    reg s23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_f32x4(u[2], u[3], _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(2, 0, 2, 0)),
                         _mm512_shuffle_f32x4(s01, s23, _MM_SHUFFLE(3, 1, 3, 1)));
  }
  static inline float sum(reg a) {
    // Halving by hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized on its own header.
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_extractf32x8_ps(a, 1));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
}  // namespace
