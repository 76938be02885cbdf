// Dense int8 kernels, scalar: baseline x86-64, the fallback and the reference for the SIMD variants.
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
SJ_ISA_BEGIN(scalar)
#include "simd_scalar.h"
#include "simd_sparse_scalar.h"

namespace {
struct F8Scalar : VecScalar {
  static inline float load_i8(const int8_t* p) { return (float)*p; }
};
}  // namespace

#include "int8_impl.h"

namespace sj {
extern const Int8KernelTable int8_scalar = make_int8_table<F8Scalar, I8Scalar>("scalar");
}
SJ_ISA_END
