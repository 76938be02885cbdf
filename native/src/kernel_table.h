// The dense F32 kernels of one ISA (sj::dense_<isa>, kernels_<isa>.cpp): parallel_ops.cpp calls the active row.
#pragma once
#include <cstddef>

namespace sj {

struct KernelTable {
  const char* name;
  // out[b][r] for r in [r0, r1): single-threaded slice of sj_matmul_f32.
  void (*matmul_f32_rows)(float* out, const float* x, const float* w, int batch, int rows, int cols, int r0, int r1);
  float (*dot_f32)(const float* a, const float* b, int n);
  // y[i] += a * x[i]
  void (*axpy_f32)(float* y, float a, const float* x, int n);
  // out = x / rms(x) * weight over one row
  void (*rmsnorm_row)(float* out, const float* x, const float* weight, int dim, float eps);
  // sum of n floats: the read-bandwidth probe
  float (*sum_f32)(const float* x, long n);
};

}  // namespace sj
