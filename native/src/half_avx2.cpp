// BF16/F16 weight kernels, AVX2: 8 weights per vector widened in registers, BF16 by a 16-bit shift
// (vpmovzxwd + vpslld), F16 by F16C's vcvtph2ps; FMA against F32 activations.
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <immintrin.h>

SJ_ISA_BEGIN(avx2)
#include "simd_avx2.h"
#include "half_impl.h"

namespace {
struct HalfAvx2 : VecAvx2 {
  static inline reg widen_bf16(const uint16_t* p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i*)p)), 16));
  }
  static inline reg widen_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)p)); }
};
}  // namespace

namespace sj {
extern const HalfTable half_avx2 = make_half_table<HalfAvx2>("avx2");
}
SJ_ISA_END
