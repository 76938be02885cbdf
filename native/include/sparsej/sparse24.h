// 2:4 semi-structured sparse matmul: in every group of 4 consecutive columns of a row at most 2 weights are
// non-zero; each group stores exactly 2 values and two 2-bit column indices.
//
// Layout of a [rows][cols] matrix (cols % 4 == 0; bytes per weight: value_bytes/2 + 1/8):
//   values   [rows][cols/2] (f32 or int8): value k of a row belongs to group k/2; the two values of a group
//            are in increasing column order (a group with fewer than 2 non-zeros stores zeros).
//            The buffer must have 64 readable bytes past its end (vector loads).
//   indices  uint8 [rows][(cols+7)/8]: 2 bits per value, value k's column within its group at bits
//            [2k, 2k+2) of the row's bit stream (little-endian bytes), so byte j holds groups 2j and 2j+1.
//   scales   (int8 only) float [rows].
//   row_sums (w8a8 only) int32 [rows]: the sum of each row's int8 values (see spmv_bitmask.h).
// Kernels gather the matching activations with one permute per vector of values (vpermt2ps / vpermps),
// see native/src/sparse24_impl.h.
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

void sj_sparse24_matmul_f32(float* out, const float* x, int batch, int rows, int cols, const float* values,
                            const uint8_t* indices);

void sj_sparse24_matmul_i8(float* out, const float* x, int batch, int rows, int cols, const int8_t* values,
                           const uint8_t* indices, const float* scales);

// W8A8 as in spmv_bitmask.h.
void sj_sparse24_matmul_w8a8(float* out, const int8_t* xq, const float* x_scales, int batch, int rows, int cols,
                             const int8_t* values, const uint8_t* indices, const float* scales,
                             const int32_t* row_sums);

#ifdef __cplusplus
}
#endif
