// Q8_0 scalar variant: baseline x86-64, the fallback and reference for the SIMD variants.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "q8_0_table.h"
#include "simd_scalar.h"

namespace {
struct Q8Scalar : VecScalar {
  static inline reg load_i8(const int8_t* p) { return (float)*p; }
};
}  // namespace

#include "q8_0_impl.h"

namespace sj {
const MatmulQ8Rows kScalarQ8Rows = &matmul_q8_0_rows<Q8Scalar>;
}
