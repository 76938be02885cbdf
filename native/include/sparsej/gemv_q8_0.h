// Matrix multiply with a Q8_0 or Q4_0 weight (llama.cpp / GGUF block format), read as stored: no expansion to F32.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

// Q8_0 layout of w [rows][cols] (cols a multiple of 32): each row is cols/32 blocks of 34 bytes,
// an IEEE f16 scale d (little-endian) then 32 int8 values q; W[r][32k+j] = d * q[j].
// out[b][r] = sum_c W[r][c] * x[b][c]  for b < batch, r < rows; x is [batch][cols] f32, out is [batch][rows] f32.
void sj_matmul_q8_0(float* out, const float* x, const void* w, int batch, int rows, int cols);

// Q4_0 layout (cols a multiple of 32): each row is cols/32 blocks of 18 bytes, an IEEE f16 scale d then 16 bytes
// qs; W[r][32k+j] = d * ((qs[j] & 15) - 8) and W[r][32k+16+j] = d * ((qs[j] >> 4) - 8) for j < 16.
void sj_matmul_q4_0(float* out, const float* x, const void* w, int batch, int rows, int cols);

#ifdef __cplusplus
}
#endif
