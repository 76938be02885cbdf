// Q8_0 / Q4_0 AVX2 variant: int8 block dot products with vpmaddubsw / vpmaddwd (q8_0_int8_avx2.h).
#include "isa_list.h"
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"

SJ_ISA_BEGIN(avx2)
#include "q8_0_int8_avx2.h"
#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_avx2{"avx2", &matmul_block_rows<Q8BlocksYmm, BlockQ8_0>,
                                &matmul_block_rows<Q8BlocksYmm, BlockQ4_0>};
}
SJ_ISA_END
