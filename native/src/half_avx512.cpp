// BF16/F16 weight kernels, AVX-512 (F/BW/VL/DQ): 16 weights per vector widened in registers, as half_avx2.cpp.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <immintrin.h>

SJ_ISA_BEGIN(avx512)
#include "simd_avx512.h"
#include "half_impl.h"

namespace {
struct HalfAvx512 : VecAvx512 {
  static inline reg widen_bf16(const uint16_t* p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i*)p)), 16));
  }
  static inline reg widen_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p)); }
};
}  // namespace

namespace sj {
extern const HalfTable half_avx512 = make_half_table<HalfAvx512>("avx512");
}
SJ_ISA_END
