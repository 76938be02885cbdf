// Matrix multiply with a Q8_0 or Q4_0 weight (llama.cpp / GGUF block formats), read as stored: no expansion to F32.
// As llama.cpp does, the activations are first quantized to Q8_0 blocks (sj_quantize_q8_blocks) and each block's
// products summed exactly in int32, so prefill runs on int8 dot products; the result is the same whatever the batch.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// x [batch][cols] (cols a multiple of 32) to Q8_0 blocks: per 32 values d = max|x| / 127 (xd, f32; llama.cpp
// stores it as f16), q = round-half-away-from-zero(x / d) (xq, int8 in [-127, 127]; 0 where d = 0).
void sj_quantize_q8_blocks(int8_t* xq, float* xd, const float* x, int batch, int cols);

// Q8_0 layout of w [rows][cols] (cols a multiple of 32): each row is cols/32 blocks of 34 bytes,
// an IEEE f16 scale d (little-endian) then 32 int8 values q; W[r][32k+j] = d * q[j].
// out[b][r] = sum_k d_w[r][k] * xd[b][k] * (sum_j q_w[r][32k+j] * xq[b][32k+j]), x quantized as above;
// x is [batch][cols] f32, out is [batch][rows] f32.
void sj_matmul_q8_0(float* out, const float* x, const void* w, int batch, int rows, int cols);

// Q4_0 layout (cols a multiple of 32): each row is cols/32 blocks of 18 bytes, an IEEE f16 scale d then 16 bytes
// qs; W[r][32k+j] = d * ((qs[j] & 15) - 8) and W[r][32k+16+j] = d * ((qs[j] >> 4) - 8) for j < 16. Computed as
// sj_matmul_q8_0 with these values.
void sj_matmul_q4_0(float* out, const float* x, const void* w, int batch, int rows, int cols);

#ifdef __cplusplus
}
#endif
