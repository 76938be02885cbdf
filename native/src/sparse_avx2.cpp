// AVX2+FMA sparse kernels (plus BMI/BMI2/POPCNT, which every AVX2 CPU has). Selected only where CPUID says so.
#include <immintrin.h>

#include "sparse_table.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2,popcnt")
#include "simd_sparse_avx2.h"
#include "sparse_kernels_impl.h"

namespace sj {
const SparseKernelTable kAvx2Sparse = make_sparse_table<SparseAvx2, I8Avx2>("avx2");
}
#pragma GCC pop_options
