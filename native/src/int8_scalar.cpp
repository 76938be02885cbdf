// Dense int8 kernels, scalar: baseline x86-64, the fallback and the reference for the SIMD variants.
#include "simd_scalar.h"
#include "simd_sparse_scalar.h"

namespace {
struct F8Scalar : VecScalar {
  static inline float load_i8(const int8_t* p) { return (float)*p; }
};
}  // namespace

#include "int8_impl.h"

namespace sj {
const Int8KernelTable kScalarInt8 = make_int8_table<F8Scalar, I8Scalar>("scalar");
}
