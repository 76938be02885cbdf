// Q8_0 AVX-512 variant: 16 int8 values at a time widened to floats. Selected only where CPUID reports AVX-512.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")
#include "simd_avx512.h"

namespace {
struct Q8Avx512 : VecAvx512 {
  static inline reg load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p)));
  }
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
const MatmulQ8Rows kAvx512Q8Rows = &matmul_q8_0_rows<Q8Avx512>;
}
#pragma GCC pop_options
