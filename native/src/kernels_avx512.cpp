// AVX-512 variants (F, BW, VL, DQ). Compiled on any x86-64 host; dispatch.cpp selects them only
// where CPUID reports these features, so a CPU without AVX-512 never executes this code.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include "kernel_table.h"

SJ_ISA_BEGIN(avx512)
#include "simd_avx512.h"
#include "kernels_impl.h"

namespace sj {
extern const KernelTable dense_avx512 = make_kernel_table<VecAvx512>("avx512");
}
SJ_ISA_END
