// AVX2+FMA variants. The target pragma applies to every function defined up to pop_options,
// template instantiations included: the rest of the library stays baseline x86-64.
#include <immintrin.h>
#include <cmath>
#include "kernel_table.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "simd_avx2.h"
#include "kernels_impl.h"

namespace sj {
const KernelTable kAvx2Kernels = make_kernel_table<VecAvx2>("avx2");
}
#pragma GCC pop_options
