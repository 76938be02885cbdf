// The kernels of one ISA for the ggml block formats Q8_0 and Q4_0 (gemv_q8_0.h; sj::q8_0_<isa>,
// q8_0_<isa>.cpp): q8_0_ops.cpp calls the active row (kernels.h).
#pragma once
#include <cstdint>

namespace sj {

// out[b][r] for r in [r0, r1): single-threaded slice of sj_matmul_q8_0 / sj_matmul_q4_0, on activations already
// quantized to Q8_0 blocks (xq [batch][cols] int8, xd [batch][cols/32] f32 scales); off: Q4_0's activation offsets
// [batch][cols/32][8] (q4_offsets, q8_0_ops.cpp), null for Q8_0.
using MatmulQ8Rows = void (*)(float* out, const int8_t* xq, const float* xd, const int32_t* off, const uint8_t* w,
                              int batch, int rows, int cols, int r0, int r1);

struct Q8Table {
  const char* name;
  MatmulQ8Rows rows;  // Q8_0
  MatmulQ8Rows q4_0;
};

}  // namespace sj
