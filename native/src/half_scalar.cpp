// BF16/F16 weight kernels, scalar: baseline x86-64, the fallback and the reference for the SIMD variants.
#include "isa_list.h"
// The standard headers the kernel bodies use, outside the target region: library code stays baseline x86-64.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

SJ_ISA_BEGIN(scalar)
#include "simd_scalar.h"
#include "half_impl.h"

namespace {
struct HalfScalar : VecScalar {
  static inline reg widen_bf16(const uint16_t* p) { return bf16_to_f32(*p); }
  static inline reg widen_f16(const uint16_t* p) { return f16_to_f32(*p); }
};
}  // namespace

namespace sj {
extern const HalfTable half_scalar = make_half_table<HalfScalar>("scalar");
}
SJ_ISA_END
