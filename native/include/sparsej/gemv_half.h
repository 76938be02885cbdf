// Dense matmul with BF16 or F16 weights kept as stored (2 bytes per weight) and F32 activations:
// out[b][r] = sum_c W[r][c] * x[b][c], with W row-major [rows][cols] of raw 16-bit values.
// The weights are widened to F32 in registers (F16C, or shifts for BF16) on every ISA.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

void sj_matmul_bf16(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols);
void sj_matmul_f16(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols);

#ifdef __cplusplus
}
#endif
