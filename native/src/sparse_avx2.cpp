// AVX2+FMA sparse kernels (plus BMI/BMI2/POPCNT, which every AVX2 CPU has). Selected only where CPUID says so.
#include "isa_list.h"
#include <immintrin.h>

#include "sparse_table.h"

SJ_ISA_BEGIN(avx2)
#include "simd_sparse_avx2.h"
#include "sparse_kernels_impl.h"

namespace sj {
extern const SparseKernelTable sparse_avx2 = make_sparse_table<SparseAvx2, I8SparseAvx2>("avx2");
}
SJ_ISA_END
