// Activation quantization for W8A8 kernels: symmetric int8, one f32 scale per token (row).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// For each row b of x [batch][cols]: scale = max|x[b]| / 127 (1 where the row is all zero),
// q[b][c] = round_half_even(x[b][c] * (127 / max|x[b]|)), in [-127, 127].
void sj_quantize_rows_i8(int8_t* q, float* scales, const float* x, int batch, int cols);

#ifdef __cplusplus
}
#endif
