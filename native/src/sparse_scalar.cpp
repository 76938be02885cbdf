// Scalar sparse kernels: baseline x86-64, the fallback and the reference for the SIMD variants.
#include "isa_list.h"
SJ_ISA_BEGIN(scalar)
#include "simd_sparse_scalar.h"
#include "sparse_kernels_impl.h"

namespace sj {
extern const SparseKernelTable sparse_scalar = make_sparse_table<SparseScalar, I8Scalar>("scalar");
}
SJ_ISA_END
