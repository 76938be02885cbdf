// Q8_0 / Q4_0 scalar variant: baseline x86-64, the fallback and reference for the SIMD variants.
#include "isa_list.h"
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"
SJ_ISA_BEGIN(scalar)
#include "simd_scalar.h"

namespace {
struct Q8Scalar : VecScalar {
  static inline reg load_i8(const int8_t* p) { return (float)*p; }
  static inline reg load_u4(const uint8_t* p, int shift) { return (float)(((*p >> shift) & 15) - 8); }
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_scalar{"scalar", &matmul_block_rows<Q8Scalar, BlockQ8_0>,
                                  &matmul_block_rows<Q8Scalar, BlockQ4_0>};
}
SJ_ISA_END
