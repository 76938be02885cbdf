// The BF16/F16 weight kernels of one ISA (gemv_half.h; sj::half_<isa>, half_<isa>.cpp): half_ops.cpp calls the
// active row (kernels.h). Each computes rows [r0, r1) of out [batch][rows] on one thread.
#pragma once
#include <cstdint>

namespace sj {

using MatmulHalfRows = void (*)(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols,
                                int r0, int r1);

struct HalfTable {
  const char* name;
  MatmulHalfRows bf16;
  MatmulHalfRows f16;
};

}  // namespace sj
