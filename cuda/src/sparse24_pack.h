// Host-side packing of a 2:4 weight into the own mma.sp kernel's layout (sparse24_mma.cu). Plain C++ with no CUDA
// header, so cuda/test/sparse24_pack_test.cpp proves the encoding on any machine, without nvcc or a GPU.
#pragma once
#include <stdint.h>

#include <string>

namespace sjc {

// FP16 values and uint32 metadata words the layout holds for a rows x cols weight (both padded to 16 x 32 tiles).
int64_t pack24_values(int rows, int cols);
int64_t pack24_meta(int rows, int cols);
// Packs w [rows][cols] (at most 2 non-zeros per group of 4 columns): "" on success, else why (nothing written).
std::string pack24(const float* w, int rows, int cols, uint16_t* values, uint32_t* meta);
// IEEE binary16 bits of v, rounded to nearest even (overflow to infinity, NaN kept quiet).
uint16_t f16_bits(float v);

}  // namespace sjc
