// Q8_0 scalar variant: baseline x86-64, the fallback and reference for the SIMD variants.
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
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
extern const Q8Table q8_0_scalar{"scalar", &matmul_q8_0_rows<Q8Scalar>};
}
SJ_ISA_END
