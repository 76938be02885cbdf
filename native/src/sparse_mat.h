// The arguments of one sparse matmul, gathered for the row kernels (internal; the C API stays flat).
#pragma once
#include <cstdint>
#include <cstring>

namespace sj {

struct SparseMat {
  int rows, cols;
  const uint8_t* meta;     // bitmask [rows][(cols+7)/8], or 2:4 indices [rows][(cols+7)/8]
  const int32_t* offsets;  // bitmask: first value of each row; null for 2:4 (rows hold cols/2 values)
  const void* values;      // f32 or int8
  const float* scales;     // int8: per-row scale; null for f32
  const int32_t* row_sums; // w8a8: per-row sum of the int8 values (for kernels that offset x by 128)
  int meta_stride() const { return (cols + 7) / 8; }
};

// Activations of one call: f32 rows, or int8 rows with per-row scales (w8a8).
struct Activations {
  const float* xf;      // f32 rows, ldx floats apart
  const int8_t* xq;     // int8 rows, cols bytes apart
  const float* xscale;
  int batch;
  int ldx;
};

inline uint64_t load_bits(const uint8_t* p, int nbytes) {
  uint64_t v = 0;
  std::memcpy(&v, p, nbytes);  // little-endian: byte i holds bits [8i, 8i+8)
  return v;
}

}  // namespace sj
