// One Q8_0 row kernel per ISA (kept apart from kernel_table.h so weight formats can be added independently).
#pragma once
#include <cstdint>

namespace sj {

// out[b][r] for r in [r0, r1): single-threaded slice of sj_matmul_q8_0.
using MatmulQ8Rows = void (*)(float* out, const float* x, const uint8_t* w, int batch, int rows, int cols, int r0,
                              int r1);

extern const MatmulQ8Rows kScalarQ8Rows;
extern const MatmulQ8Rows kAvx2Q8Rows;
extern const MatmulQ8Rows kAvx512Q8Rows;

}  // namespace sj
