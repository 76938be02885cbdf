// Dense int8 kernels, AVX-512 with VNNI (Ice Lake, Sapphire Rapids, Zen 4): W8A8 multiplies 64 bytes per step
// with one vpdpbusd (activations as x + 128, unsigned; 128 * row_sum subtracted per row); W8A16 as AVX-512.
// dispatch.cpp checks the features of SJ_ISA_AVX512_VNNI.
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

SJ_ISA_BEGIN(avx512vnni)
#define SJ_AVX512_VNNI 1
#include "simd_avx512.h"
#include "simd_sparse_avx512.h"

namespace {
struct F8Avx512Vnni : VecAvx512 {
  static inline reg load_i8(const int8_t* p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i*)p)));
  }
};
}  // namespace

#include "int8_impl.h"

namespace sj {
extern const Int8KernelTable int8_avx512vnni = make_int8_table<F8Avx512Vnni, I8Avx512Vnni>("avx512vnni");
}
SJ_ISA_END
