// AVX-512 with VNNI, VBMI and VBMI2 (Ice Lake, Sapphire Rapids, Zen 4): the float kernels are those of
// sparse_avx512.cpp but for int8 weight-only rows (64-column vpexpandb); W8A8 uses vpexpandb + vpdpbusd.
// dispatch.cpp checks all four features.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
#include <immintrin.h>

#include "sparse_table.h"

SJ_ISA_BEGIN(avx512vnni)
#define SJ_AVX512_VNNI 1
#include "simd_sparse_avx512.h"
#include "sparse_kernels_impl.h"

namespace sj {
extern const SparseKernelTable sparse_avx512vnni = make_sparse_table<SparseAvx512Vbmi2, I8Avx512Vnni>("avx512vnni");
}
SJ_ISA_END
