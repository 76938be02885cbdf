// AVX-512 sparse traits, 16 lanes: vexpandps places the packed values under the mask bits.
// Include only inside a region compiled with an avx512f,avx512bw,avx512vl,avx512dq target (+popcnt,bmi,bmi2).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "simd_avx512.h"
#include "stream_prefetch.h"

namespace {

struct SparseAvx512 : VecAvx512 {
  static constexpr int kI8Block = 0;  // no wide int8 expand: int8 rows go W columns at a time
  static constexpr int kPrefetchBytes = kSparsePrefetchBytes;
  static constexpr int kDecodeRows24 = 2;  // 2:4 decode rows at a time (docs/benchmarks.md: 1.1-1.2x over one)
  // Register-form expand after an unaligned load: the memory form of vexpandps is slow on Zen 4.
  static inline reg expand_f32(uint32_t m, const float*& p) {
    reg v = _mm512_loadu_ps(p);
    __asm__("" : "+v"(v));  // GCC would fold the load into vexpandps' memory form
    v = _mm512_maskz_expand_ps((__mmask16)m, v);
    p += _mm_popcnt_u32(m);
    return v;
  }
  static inline reg expand_i8(uint32_t m, const int8_t*& p) {
    __m512i v = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p));
    p += _mm_popcnt_u32(m);
    return _mm512_cvtepi32_ps(_mm512_maskz_expand_epi32((__mmask16)m, v));
  }
  static inline reg load_vals(const float* v) { return _mm512_loadu_ps(v); }
  static inline reg load_vals(const int8_t* v) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)v)));
  }
  // 16 values covering 32 columns: one vpermt2ps picks x[4*(j/2) + meta_j] from two vectors.
  static inline reg select24(const float* x, uint32_t meta) {
    const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i base = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20, 20, 24, 24, 28, 28);
    __m512i idx = _mm512_add_epi32(
        _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32((int)meta), shifts), _mm512_set1_epi32(3)), base);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(x), idx, _mm512_loadu_ps(x + 16));
  }
};

#ifdef SJ_AVX512_VNNI
// With VBMI2, int8 weight-only rows expand 64 columns with one vpexpandb, then widen to four float vectors:
// a quarter of the expand operations of the 16-column path, which on Zen 4 bound its speed.
struct SparseAvx512Vbmi2 : SparseAvx512 {
  static constexpr int kI8Block = 64;
  // 64 packed values under 64 mask bits as four float vectors w[0..3] (columns 0-15, 16-31, 32-47, 48-63).
  // Always inlined: called out of line (as GCC did once this file's kernels grew), w goes through memory.
  static inline __attribute__((always_inline)) void i8_expand_block(uint64_t m, const int8_t*& p, reg* w) {
    __m512i b = _mm512_loadu_si512(p);
    __asm__("" : "+v"(b));  // keep vpexpandb's register form: the memory form is slower on Zen 4
    b = _mm512_maskz_expand_epi8((__mmask64)m, b);
    p += _mm_popcnt_u64(m);
    w[0] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_castsi512_si128(b)));
    w[1] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(b, 1)));
    w[2] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(b, 2)));
    w[3] = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm512_extracti32x4_epi32(b, 3)));
  }
};

// W8A8 with VNNI + VBMI/VBMI2 (Ice Lake, Zen 4): vpexpandb places 64 packed weights under 64 mask bits and one
// vpdpbusd multiplies them by 64 activations. vpdpbusd takes unsigned x signed bytes, so activations arrive as
// x + 128 (kOffset) and the kernel subtracts 128 * row_sum once per row.
struct I8Avx512Vnni {
  using Dense = I8Avx512Vnni;  // dense W8A8 rows take the same traits (w8a8_dense_impl.h)
  using acc = __m512i;
  static constexpr int QB = 64;
  static constexpr bool kOffset = true;
  static constexpr int kPrefetchBytes = kSparsePrefetchBytes;
  static inline acc zero() { return _mm512_setzero_si512(); }
  static inline int32_t sum(acc a) {
    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
  }
  using Block = __m512i;
  struct Selected {
    __m512i idx, w;
  };
  static inline Block expand(uint64_t m, const int8_t*& p) {
    __m512i w = _mm512_loadu_si512(p);
    __asm__("" : "+v"(w));  // keep vpexpandb's register form: the memory form is slower on Zen 4
    w = _mm512_maskz_expand_epi8((__mmask64)m, w);
    p += _mm_popcnt_u64(m);
    return w;
  }
  static inline acc dot(acc a, Block w, const int8_t* xu) {
    // In place, by hand: from the intrinsic GCC 12 copied the accumulator to another register and back around each
    // vpdpbusd (16 moves per 8 in the dense batch loop). AT&T order: a += u8(x) · s8(w).
    const __m512i x = _mm512_loadu_si512(xu);
    __asm__("vpdpbusd %[w], %[x], %[a]" : [a] "+v"(a) : [x] "v"(x), [w] "v"(w));
    return a;
  }
  // 32 values covering 64 columns: vpmultishiftqb pulls each value's 2-bit index into a byte; vpermb gathers x.
  static inline Selected s24_select(const int8_t* v, uint64_t meta) {
    const __m512i ctl = _mm512_set_epi64(0x3e3c3a3836343230LL, 0x2e2c2a2826242220LL, 0x1e1c1a1816141210LL,
                                         0x0e0c0a0806040200LL, 0x3e3c3a3836343230LL, 0x2e2c2a2826242220LL,
                                         0x1e1c1a1816141210LL, 0x0e0c0a0806040200LL);
    // Bytes 0..31: base 4*(j/2) of value j's group; bytes 32..63 meet zero weights.
    const __m512i base = _mm512_set_epi64(0, 0, 0, 0, 0x3c3c383834343030LL, 0x2c2c282824242020LL,
                                          0x1c1c181814141010LL, 0x0c0c080804040000LL);
    __m512i idx = _mm512_add_epi8(
        _mm512_and_si512(_mm512_multishift_epi64_epi8(ctl, _mm512_set1_epi64((long long)meta)), _mm512_set1_epi8(3)),
        base);
    return Selected{idx, _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i*)v))};
  }
  static inline acc s24_dot(acc a, const Selected& s, const int8_t* xu) {
    return _mm512_dpbusd_epi32(a, _mm512_permutexvar_epi8(s.idx, _mm512_loadu_si512(xu)), s.w);
  }
};
#endif

}  // namespace
