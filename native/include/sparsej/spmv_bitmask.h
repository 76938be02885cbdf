// Unstructured sparse matmul: the compressed-tensors "sparse-bitmask" layout, consumed as stored.
//
// Layout of a [rows][cols] matrix (bytes per weight at density d: d*value_bytes + 1/8):
//   bitmask  uint8 [rows][(cols+7)/8], row-major; bit (c % 8) of byte c/8 is set where W[r][c] is kept
//            (numpy packbits bitorder="little", as compressed-tensors writes it).
//   values   the kept values in row-major order (f32 or int8); the buffer must have 64 readable bytes past
//            the last value, because SIMD kernels load whole vectors and mask what they do not use.
//   offsets  int32 [rows+1]: values of row r are values[offsets[r] .. offsets[r+1]).
//   scales   (int8 only) float [rows]: W[r][c] = values[.] * scales[r].
//   row_sums (w8a8 only) int32 [rows]: the sum of each row's int8 values. VNNI kernels multiply unsigned
//            activations x + 128 and subtract 128 * row_sum (vpdpbusd takes one unsigned operand).
// The kernels need no repacking: 16 (AVX-512) or 8 (AVX2) mask bits select which lanes of the next
// popcount(bits) packed values land where (vexpandps / a permute table); see native/src/spmv_bitmask_impl.h.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// out[b][r] = sum_c W[r][c] * x[b][c]; x is [batch][cols] f32, out is [batch][rows] f32.
void sj_bitmask_matmul_f32(float* out, const float* x, int batch, int rows, int cols, const uint8_t* bitmask,
                           const int32_t* offsets, const float* values);

// Same with int8 values and one f32 scale per row (weight-only quantization; activations stay f32).
void sj_bitmask_matmul_i8(float* out, const float* x, int batch, int rows, int cols, const uint8_t* bitmask,
                          const int32_t* offsets, const int8_t* values, const float* scales);

// W8A8: xq is [batch][cols] int8 in [-127, 127] with x_scales[b] (see quantize.h);
// out[b][r] = x_scales[b] * scales[r] * sum_c q[r][c] * xq[b][c], accumulated exactly in int32
// (cols <= 65536 keeps the offset sums inside int32).
void sj_bitmask_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, int batch, int rows, int cols,
                            const uint8_t* bitmask, const int32_t* offsets, const int8_t* values,
                            const float* scales, const int32_t* row_sums);

#ifdef __cplusplus
}
#endif
