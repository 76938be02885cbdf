// Dense int8 kernels, AVX-512 (F/BW/VL/DQ) without VNNI: W8A16 widens 16 int8 weights per vector; W8A8 uses the
// AVX2 int8 traits (vpmaddubsw/vpmaddwd on 256-bit vectors), which this target also runs, as the sparse kernels do.
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

#include "int8_table.h"

SJ_ISA_BEGIN(avx512)
#include "simd_avx512.h"
#include "simd_sparse_avx2.h"

namespace {
struct F8Avx512 : VecAvx512 {
  static inline reg load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p)));
  }
};
}  // namespace

#include "int8_impl.h"

namespace sj {
extern const Int8KernelTable int8_avx512 = make_int8_table<F8Avx512, I8Avx2>("avx512");
}
SJ_ISA_END
