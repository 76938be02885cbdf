// Scalar sparse kernels: baseline x86-64, the fallback and the reference for the SIMD variants.
#include "simd_sparse_scalar.h"
#include "sparse_kernels_impl.h"

namespace sj {
const SparseKernelTable kScalarSparse = make_sparse_table<SparseScalar, I8Scalar>("scalar");
}
