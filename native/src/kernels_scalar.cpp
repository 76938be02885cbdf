// Scalar variants: baseline x86-64, the fallback where no SIMD extension is present.
#include "kernel_table.h"
#include "simd_scalar.h"
#include "kernels_impl.h"

namespace sj {
const KernelTable kScalarKernels = make_kernel_table<VecScalar>("scalar");
}
