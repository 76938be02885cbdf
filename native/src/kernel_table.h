// The dense F32 kernels of one ISA (sj::dense_<isa>, kernels_<isa>.cpp): parallel_ops.cpp calls the active row.
#pragma once
#include <cstddef>
#include <cstdint>

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
  // y[i] = e^x[i], within 2 ulp (simd_math.h)
  void (*exp_f32)(float* y, const float* x, long n);
  // in-place softmax of n floats: the one attend_heads runs on each row's scores
  void (*softmax)(float* x, int n);
  // h1[i] = silu(h1[i]) · h3[i] (single-threaded slice of sj_swiglu)
  void (*swiglu)(float* h1, const float* h3, long n);
  // Heads [h0, h1) of `rows` consecutive query rows of one sequence (q, out: row i at i · row_stride floats, each
  // the whole row, n_heads · head_size; head h reads kv head h / group), row i at position last + i, against
  // positions [from_i, last + i], from_i = 0, or max(0, last + i - window + 1) when window > 0, of a KV cache kept
  // in runs of `run` positions (the pages of attention_paged.h; a contiguous cache is one run): position t's keys
  // start at float key_offset + (t % run) · stride of the run whose base address is pages[t / run], its values at
  // value_offset likewise. out = softmax(q·k · scale) · v per head and row, bit for bit as for each row alone;
  // scores: scratch of rows · (h1 - h0) · (last + rows - from_0) floats.
  void (*attend_heads)(float* out, const float* q, long row_stride, int rows, const int64_t* pages, long key_offset,
                       long value_offset, int run, long stride, int last, int window, int h0, int h1, int group,
                       int head_size, float scale, float* scores);
};

}  // namespace sj
