// AVX-512 variants (F, BW, VL, DQ). Compiled on any x86-64 host; dispatch.cpp selects them only
// where CPUID reports these features, so a CPU without AVX-512 never executes this code.
#include <immintrin.h>
#include <cmath>
#include "kernel_table.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma")
#include "simd_avx512.h"
#include "kernels_impl.h"

namespace sj {
const KernelTable kAvx512Kernels = make_kernel_table<VecAvx512>("avx512");
}
#pragma GCC pop_options
