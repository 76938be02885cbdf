// Q8_0 AVX2+FMA variant: 8 int8 values at a time widened to floats (vpmovsxbd + vcvtdq2ps).
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
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_avx2{"avx2", &matmul_q8_0_rows<Q8Avx2>};
}
SJ_ISA_END
