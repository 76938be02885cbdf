// Dense F32 matrix multiply: the baseline every sparse format is measured against.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// out[b][r] = sum_c w[r][c] * x[b][c]  for b < batch, r < rows.
// w is row-major [rows][cols] (one output per row, as in llama2.c); x is [batch][cols]; out is [batch][rows].
void sj_matmul_f32(float* out, const float* x, const float* w, int batch, int rows, int cols);

// sj_matmul_f32 for n weights read by the same x (q, k and v; gate and up) in one parallel job: out i (address
// outs[i], [batch][rows[i]]) from weight i (address ws[i], [rows[i]][cols]). Each output is what sj_matmul_f32
// gives bit for bit; the rows of all n are dealt out together, so small matrices (k and v of a grouped-query
// model) no longer run on one thread, and the pool is woken once instead of n times.
void sj_matmul_f32_group(int n, const int64_t* outs, const float* x, const int64_t* ws, const int32_t* rows,
                         int batch, int cols);

#ifdef __cplusplus
}
#endif
