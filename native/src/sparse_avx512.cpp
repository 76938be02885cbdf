// AVX-512 (F/BW/VL/DQ) sparse kernels. Without VNNI the W8A8 kernels use the AVX2 int8 traits
// (vpmaddubsw/vpmaddwd on 256-bit vectors), which this target also runs.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
#include <immintrin.h>

#include "sparse_table.h"

SJ_ISA_BEGIN(avx512)
#include "simd_sparse_avx2.h"
#include "simd_sparse_avx512.h"
#include "sparse_kernels_impl.h"

namespace sj {
extern const SparseKernelTable sparse_avx512 = make_sparse_table<SparseAvx512, I8SparseAvx2>("avx512");
}
SJ_ISA_END
