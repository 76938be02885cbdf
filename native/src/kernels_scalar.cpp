// Scalar variants: baseline x86-64, the fallback where no SIMD extension is present.
#include "isa_list.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>
#include "kernel_table.h"
SJ_ISA_BEGIN(scalar)
#include "simd_scalar.h"
#include "kernels_impl.h"

namespace sj {
extern const KernelTable dense_scalar = make_kernel_table<VecScalar>("scalar");
}
SJ_ISA_END
