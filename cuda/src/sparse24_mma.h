// The own 2:4 GEMM on the sparse tensor cores (mma.sp, sm_80+), for decode-sized batches.
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>

namespace sjc {

// out [batch][rows] = x [batch][cols] · Wᵀ, W in the layout sjc_pack_sparse24 makes.
int sparse24_mma(float* out, const float* x, const uint4* values, const uint32_t* meta, int rows, int cols, int batch);

}  // namespace sjc
