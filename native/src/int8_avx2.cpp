// Dense int8 kernels, AVX2+FMA: W8A16 widens 8 int8 weights to floats (vpmovsxbd + vcvtdq2ps); W8A8 multiplies
// 32 bytes per step with vpmaddubsw/vpmaddwd (|x| times w with x's sign, so no int16 pair sum saturates).
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include <immintrin.h>

#include "int8_table.h"

SJ_ISA_BEGIN(avx2)
#include "simd_avx2.h"
#include "simd_sparse_avx2.h"

namespace {
struct F8Avx2 : VecAvx2 {
  static inline reg load_i8(const int8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i*)p)));
  }
};
}  // namespace

#include "int8_impl.h"

namespace sj {
extern const Int8KernelTable int8_avx2 = make_int8_table<F8Avx2, I8Avx2>("avx2");
}
SJ_ISA_END
