// AVX2+FMA traits, 8 floats. Include only inside a region compiled with target("avx2,fma").
#pragma once
#include <immintrin.h>

namespace {
struct VecAvx2 {
  using reg = __m256;
  static constexpr int W = 8;
  static inline reg zero() { return _mm256_setzero_ps(); }
  static inline reg set1(float v) { return _mm256_set1_ps(v); }
  static inline reg load(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static inline reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static inline reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static inline reg fma(reg a, reg b, reg acc) { return _mm256_fmadd_ps(a, b, acc); }
  static inline reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static inline reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  // max/min as MAXPS/MINPS: b when either is NaN.
  static inline reg max(reg a, reg b) { return _mm256_max_ps(a, b); }
  static inline reg min(reg a, reg b) { return _mm256_min_ps(a, b); }
  static inline reg round(reg a) { return _mm256_round_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // a · 2^n for integral n in [-150, 128], one rounding: 2^n as two normal factors, so subnormal results round
  // once (in the second product) and overflow gives infinity.
  static inline reg scale2(reg a, reg n) {
    __m256i ni = _mm256_cvtps_epi32(n), n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    reg f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    reg f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(a, f1), f2);
  }
  static inline __m256i first_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // The first n < W floats of p, `fill` in the other lanes (nothing past p + n is read); and the store of those.
  static inline reg load_first(const float* p, int n, float fill) {
    const __m256i m = first_mask(n);
    return _mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
  }
  static inline void store_first(float* p, reg v, int n) { _mm256_maskstore_ps(p, first_mask(n), v); }
  static inline float max_of(reg a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Lane j of the result: the sum of a[j]'s lanes, by one tree the same for every j (elements 2 apart, then 1,
  // then the 128-bit halves), so a sum does not depend on which vectors share the call.
  static inline reg sum_each(const reg* a) {
    reg u[2];
    for (int g = 0; g < 2; g++) {
      const reg* v = a + 4 * g;
      reg t01 = _mm256_add_ps(_mm256_unpacklo_ps(v[0], v[1]), _mm256_unpackhi_ps(v[0], v[1]));
      reg t23 = _mm256_add_ps(_mm256_unpacklo_ps(v[2], v[3]), _mm256_unpackhi_ps(v[2], v[3]));
      u[g] = _mm256_add_ps(_mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(1, 0, 1, 0)),
                           _mm256_shuffle_ps(t01, t23, _MM_SHUFFLE(3, 2, 3, 2)));
    }
    // u[g] half c: the partial sums of elements 4c..4c+3 of a[4g..4g+3].
    return _mm256_add_ps(_mm256_permute2f128_ps(u[0], u[1], 0x20), _mm256_permute2f128_ps(u[0], u[1], 0x31));
  }
  static inline float sum(reg a) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};
}  // namespace
