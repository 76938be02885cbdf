// Matrix multiply with a dense int8 weight: w [rows][cols] row-major int8 (q in [-127, 127]) and one f32 scale per
// output row, W[r][c] = w[r][c] * scales[r] (compressed-tensors int-quantized, strategy "channel").
// x / xq are [batch][cols], out is [batch][rows] f32. Batch 1 is decode; larger batches reuse each weight load for
// up to four tokens (prefill).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// W8A16 (weight-only): out[b][r] = scales[r] * sum_c w[r][c] * x[b][c], x f32.
void sj_matmul_w8a16(float* out, const float* x, const int8_t* w, const float* scales, int batch, int rows,
                     int cols);

// W8A8: xq int8 with one scale per token (sj_quantize_rows_i8);
// out[b][r] = (float)(sum_c w[r][c] * xq[b][c]) * (x_scales[b] * scales[r]), the sum exact in int32.
// row_sums[r] = sum_c w[r][c] (the VNNI kernels feed x + 128 as unsigned bytes and subtract 128 * row_sums[r]).
// cols <= 65535 keeps every int32 sum exact.
void sj_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, const int8_t* w, const float* scales,
                    const int32_t* row_sums, int batch, int rows, int cols);

#ifdef __cplusplus
}
#endif
