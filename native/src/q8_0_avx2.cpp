// Q8_0 / Q4_0 AVX2+FMA variant: 8 int8 values (or nibbles) at a time widened to floats (vpmovsxbd / vpmovzxbd +
// vcvtdq2ps).
#include "isa_list.h"
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

SJ_ISA_BEGIN(avx2)
#include "simd_avx2.h"

namespace {
struct Q8Avx2 : VecAvx2 {
  static inline reg load_i8(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)p)));
  }
  // 8 bytes, shifted as 16-bit lanes (no byte shift in SSE) then masked: the nibbles stay in their own bytes.
  static inline reg load_u4(const uint8_t* p, int shift) {
    __m128i b = _mm_and_si128(_mm_srl_epi16(_mm_loadl_epi64((const __m128i*)p), _mm_cvtsi32_si128(shift)),
                              _mm_set1_epi8(15));
    return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(b), _mm256_set1_epi32(8)));
  }
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_avx2{"avx2", &matmul_block_rows<Q8Avx2, BlockQ8_0>,
                                &matmul_block_rows<Q8Avx2, BlockQ4_0>};
}
SJ_ISA_END
