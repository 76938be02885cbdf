// AVX2+FMA variants. The target pragma applies to every function defined up to pop_options,
// template instantiations included: the rest of the library stays baseline x86-64.
#include "isa_list.h"
#include <immintrin.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include "kernel_table.h"

SJ_ISA_BEGIN(avx2)
#include "simd_avx2.h"
#include "kernels_impl.h"

namespace sj {
extern const KernelTable dense_avx2 = make_kernel_table<VecAvx2>("avx2");
}
SJ_ISA_END
