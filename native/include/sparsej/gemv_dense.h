// Dense F32 matrix multiply: the baseline every sparse format is measured against.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

// out[b][r] = sum_c w[r][c] * x[b][c]  for b < batch, r < rows.
// w is row-major [rows][cols] (one output per row, as in llama2.c); x is [batch][cols]; out is [batch][rows].
void sj_matmul_f32(float* out, const float* x, const float* w, int batch, int rows, int cols);

#ifdef __cplusplus
}
#endif
