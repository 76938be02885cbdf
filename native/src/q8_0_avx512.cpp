// Q8_0 / Q4_0 AVX-512 variant: the 256-bit int8 block traits (q8_0_int8_avx2.h) compiled for AVX-512 (EVEX
// encodings, 32 vector registers). Selected only where CPUID reports AVX-512.
// GCC 12's AVX-512 headers build results from _mm512_undefined_*(), which -Wuninitialized flags falsely.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "isa_list.h"
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

SJ_ISA_BEGIN(avx512)
#include "q8_0_int8_avx2.h"
#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_avx512{"avx512", &matmul_block_rows<Q8BlocksYmm, BlockQ8_0>,
                                  &matmul_block_rows<Q8BlocksYmm, BlockQ4_0>};
}
SJ_ISA_END
