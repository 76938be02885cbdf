// One row of dense-int8 kernels per ISA (gemm_int8.h), kept apart from the other tables so that formats can be
// added independently; int8_ops.cpp picks the row of the active ISA. Each kernel computes rows [r0, r1) on one
// thread.
#pragma once
#include <cstdint>

namespace sj {

using W8A16Rows = void (*)(float* out, const float* x, const int8_t* w, const float* scales, int batch, int rows,
                           int cols, int r0, int r1);
// xs: the activations as the ISA's W8A8 traits take them (x itself, or x + 128 when offset_activations).
using W8A8Rows = void (*)(float* out, const int8_t* xs, const float* x_scales, const int8_t* w,
                          const float* scales, const int32_t* row_sums, int batch, int rows, int cols, int r0,
                          int r1);

struct Int8KernelTable {
  const char* name;
  bool offset_activations;  // W8A8 takes x + 128 as unsigned bytes (vpdpbusd) and subtracts 128 * row_sum
  W8A16Rows w8a16;
  W8A8Rows w8a8;
};

extern const Int8KernelTable kScalarInt8;
extern const Int8KernelTable kAvx2Int8;
extern const Int8KernelTable kAvx512Int8;
extern const Int8KernelTable kAvx512VnniInt8;

}  // namespace sj
