// The dense-int8 kernels of one ISA (gemm_int8.h; sj::int8_<isa>, int8_<isa>.cpp): int8_ops.cpp calls the
// active row (kernels.h). Each kernel computes rows [r0, r1) on one
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

}  // namespace sj
