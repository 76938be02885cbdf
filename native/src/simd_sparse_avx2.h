// AVX2 sparse traits, 8 lanes. No expand instruction: a 256-entry table (sparse_lut.h) maps 8 mask bits to a
// permutation of the packed values. Include only inside a region compiled with target("avx2,fma,bmi,bmi2,popcnt").
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "simd_avx2.h"
#include "sparse_lut.h"
#include "stream_prefetch.h"

namespace {

struct SparseAvx2 : VecAvx2 {
  static constexpr int kI8Block = 0;  // no wide int8 expand: int8 rows go W columns at a time
  // Swept on the AVX2 Zen 3 too (0.5-8 KiB, docs/benchmarks.md "AMD EPYC Zen 3, AVX2"): 2-4 KiB best for the F32
  // kernels (1.2-1.3x over none), W8A8 indifferent (instruction-bound); so the AVX-512 value stands.
  static constexpr int kPrefetchBytes = kSparsePrefetchBytes;
  static constexpr int kDecodeRows24 = 1;  // 2:4 decode rows at a time: one (two not measured on the Zen 3)
  static inline reg expand_f32(uint32_t m, const float*& p) {
    // One 8-byte table row drives both steps: sign-extended to 8 indices (vpmovsxbd from memory, whose address
    // scales m by 8 with no shift), vpermps reads the low 3 bits of each, vblendvps its sign bit, which the
    // table's 0x80 sets where bit j of m is clear (those lanes become 0). The zero passes through an empty asm:
    // GCC otherwise rewrites the blend as a compare and an and-not, one instruction more per 8 columns.
    __m256i idx = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)&sj::kExpandLut.bytes[m]));
    __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(p), idx);
    p += _mm_popcnt_u32(m);
    __m256 zero = _mm256_setzero_ps();
    __asm__("" : "+x"(zero));
    return _mm256_blendv_ps(v, zero, _mm256_castsi256_ps(idx));
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

// W8A8 on AVX2 (the dense int8 kernels' traits, and the base of the sparse ones): |x| times w carrying x's sign
// (vpsignb) keeps vpmaddubsw's int16 pair sums below 2*127*127, so nothing saturates; vpmaddwd widens to int32.
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
  static inline acc dot_bytes(acc a, __m256i w, __m256i x) {
    __m256i prod = _mm256_maddubs_epi16(_mm256_abs_epi8(x), _mm256_sign_epi8(w, x));
    return _mm256_add_epi32(a, _mm256_madd_epi16(prod, _mm256_set1_epi16(1)));
  }
  static inline acc dot(acc a, Block w, const int8_t* x) {
    return dot_bytes(a, w, _mm256_loadu_si256((const __m256i*)x));
  }
};

// The sparse W8A8 traits on AVX2, 64 columns per step. Bitmask: each 16 mask bits expand their packed bytes with
// one vpshufb (the second 8 bytes loaded from where the first 8 end, bytes_hi indexing them); 2:4: the 64 2-bit
// indices of 32 values become a vpshufb control by vector ops (no scalar loop), which gathers their 32
// activations from 64 columns; no zero is multiplied.
struct I8SparseAvx2 : I8Avx2 {
  using Dense = I8Avx2;  // the traits the dense W8A8 kernel runs expanded rows on (w8a8_dense_impl.h)
  static constexpr int QB = 64;
  static constexpr int kPrefetchBytes = kSparsePrefetchBytes;  // as SparseAvx2's
  struct Block {
    __m256i lo, hi;
  };
  struct Selected {
    __m256i ctl, w;
  };
  static inline __m128i loadh(__m128i v, const void* p) {
    return _mm_castpd_si128(_mm_loadh_pd(_mm_castsi128_pd(v), (const double*)p));
  }
  // 16 packed values under 16 mask bits, as 16 bytes (0 where a bit is clear).
  static inline __m128i expand16(uint32_t m, const int8_t*& p) {
    const uint32_t m0 = m & 255, m1 = m >> 8;
    const __m128i ctl = loadh(_mm_loadl_epi64((const __m128i*)&sj::kExpandLut.bytes[m0]), &sj::kExpandLut.bytes_hi[m1]);
    const __m128i v = loadh(_mm_loadl_epi64((const __m128i*)p), p + _mm_popcnt_u32(m0));
    p += _mm_popcnt_u32(m);
    return _mm_shuffle_epi8(v, ctl);
  }
  static inline Block expand(uint64_t m, const int8_t*& p) {
    const __m128i b0 = expand16((uint32_t)m & 0xffff, p);
    const __m128i b1 = expand16((uint32_t)(m >> 16) & 0xffff, p);
    const __m128i b2 = expand16((uint32_t)(m >> 32) & 0xffff, p);
    const __m128i b3 = expand16((uint32_t)(m >> 48), p);
    return Block{_mm256_set_m128i(b1, b0), _mm256_set_m128i(b3, b2)};
  }
  static inline acc dot(acc a, const Block& w, const int8_t* x) {
    a = dot_bytes(a, w.lo, _mm256_loadu_si256((const __m256i*)x));
    return dot_bytes(a, w.hi, _mm256_loadu_si256((const __m256i*)(x + 32)));
  }
  // 32 values covering 64 columns. Byte (lane L, position p) of the control serves value
  // v = 8L + (p & 7) + (p < 8 ? 0 : 16): its 16-column lane of x is lane L of x[0..31] (p < 8) or of x[32..63],
  // and inside that lane its group starts at 4 * ((p & 7) / 2). Its 2-bit index is bits 2(v%4).. of meta byte v/4.
  static inline Selected s24_select(const int8_t* v, uint64_t meta) {
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 4, 4, 4, 4, 5, 5, 5, 5,  //
                                            2, 2, 2, 2, 3, 3, 3, 3, 6, 6, 6, 6, 7, 7, 7, 7);
    const __m256i field = _mm256_set1_epi32(0xc0300c03);  // byte p keeps bits 2(p%4), 2(p%4)+1
    // Each field, moved into the low nibble, is i or 4i: the table maps both to i.
    const __m256i to_index = _mm256_setr_epi8(0, 1, 2, 3, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,  //
                                              0, 1, 2, 3, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
    const __m256i base = _mm256_setr_epi8(0, 0, 4, 4, 8, 8, 12, 12, 0, 0, 4, 4, 8, 8, 12, 12,  //
                                          0, 0, 4, 4, 8, 8, 12, 12, 0, 0, 4, 4, 8, 8, 12, 12);
    __m256i f = _mm256_and_si256(_mm256_shuffle_epi8(_mm256_set1_epi64x((long long)meta), spread), field);
    f = _mm256_and_si256(_mm256_or_si256(f, _mm256_srli_epi16(f, 4)), _mm256_set1_epi8(0x0f));
    const __m256i ctl = _mm256_add_epi8(_mm256_shuffle_epi8(to_index, f), base);
    // Values in the control's order: qwords v0-7, v16-23 | v8-15, v24-31.
    const __m256i w = _mm256_permute4x64_epi64(_mm256_loadu_si256((const __m256i*)v), 0xd8);
    return Selected{ctl, w};
  }
  static inline acc s24_dot(acc a, const Selected& s, const int8_t* x) {
    const __m256i lo = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i*)x), s.ctl);
    const __m256i hi = _mm256_shuffle_epi8(_mm256_loadu_si256((const __m256i*)(x + 32)), s.ctl);
    return dot_bytes(a, s.w, _mm256_blend_epi32(lo, hi, 0xcc));  // bytes 8-15 of each lane from x[32..63]
  }
};

}  // namespace
