// Q8_0 / Q4_0 AVX-512 variant: 16 int8 values (or nibbles) at a time widened to floats. Selected only where CPUID reports AVX-512.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

SJ_ISA_BEGIN(avx512)
#include "simd_avx512.h"

namespace {
struct Q8Avx512 : VecAvx512 {
  static inline reg load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p)));
  }
  static inline reg load_u4(const uint8_t* p, int shift) {
    __m128i b = _mm_and_si128(_mm_srl_epi16(_mm_loadu_si128((const __m128i*)p), _mm_cvtsi32_si128(shift)),
                              _mm_set1_epi8(15));
    return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), _mm512_set1_epi32(8)));
  }
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_avx512{"avx512", &matmul_block_rows<Q8Avx512, BlockQ8_0>,
                                  &matmul_block_rows<Q8Avx512, BlockQ4_0>};
}
SJ_ISA_END
