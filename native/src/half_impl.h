// ISA-generic BF16/F16 row kernels. Each half_<isa>.cpp includes this inside its target region with V the dense
// traits plus widen_bf16 / widen_f16 (W 16-bit weights to W floats). The loops are those of kernels_impl.h's
// dot_f32 / dot4_f32 with the weight load widened, so a half weight gives bit for bit what the F32 kernel gives on
// its widened copy, and a row's result never depends on the batch (decode and prefill agree).
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "half_table.h"
#include "stream_prefetch.h"

namespace {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

inline float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    float v = (float)mant * 5.9604644775390625e-8f;  // 2^-24: zero or subnormal
    return sign ? -v : v;
  } else {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}

// The weight type: how W values are widened, in vectors and one at a time (tails).
template <class V> struct Bf16 {
  static inline typename V::reg load(const uint16_t* p) { return V::widen_bf16(p); }
  static inline float one(uint16_t h) { return bf16_to_f32(h); }
};
template <class V> struct F16 {
  static inline typename V::reg load(const uint16_t* p) { return V::widen_f16(p); }
  static inline float one(uint16_t h) { return f16_to_f32(h); }
};

template <class V, class H>
inline float half_dot(const uint16_t* w, const float* x, int n) {
  typename V::reg acc0 = V::zero(), acc1 = V::zero();
  int i = 0;
  for (; i + 2 * V::W <= n; i += 2 * V::W) {
    prefetch_ahead(w + i);  // decode streams the row once (stream_prefetch.h)
    acc0 = V::fma(H::load(w + i), V::load(x + i), acc0);
    acc1 = V::fma(H::load(w + i + V::W), V::load(x + i + V::W), acc1);
  }
  for (; i + V::W <= n; i += V::W) acc0 = V::fma(H::load(w + i), V::load(x + i), acc0);
  float s = V::sum(V::add(acc0, acc1));
  for (; i < n; i++) s = std::fma(H::one(w[i]), x[i], s);
  return s;
}

// Four weight rows (cols apart) against one activation row, as dot4_f32.
template <class V, class H>
inline void half_dot4(const uint16_t* w, size_t cols, const float* x, int n, float* s) {
  using R = typename V::reg;
  const uint16_t *w0 = w, *w1 = w + cols, *w2 = w + 2 * cols, *w3 = w + 3 * cols;
  R a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  R b0 = V::zero(), b1 = V::zero(), b2 = V::zero(), b3 = V::zero();
  int c = 0;
  for (; c + 2 * V::W <= n; c += 2 * V::W) {
    R x0 = V::load(x + c), x1 = V::load(x + c + V::W);
    a0 = V::fma(H::load(w0 + c), x0, a0);
    a1 = V::fma(H::load(w1 + c), x0, a1);
    a2 = V::fma(H::load(w2 + c), x0, a2);
    a3 = V::fma(H::load(w3 + c), x0, a3);
    b0 = V::fma(H::load(w0 + c + V::W), x1, b0);
    b1 = V::fma(H::load(w1 + c + V::W), x1, b1);
    b2 = V::fma(H::load(w2 + c + V::W), x1, b2);
    b3 = V::fma(H::load(w3 + c + V::W), x1, b3);
  }
  for (; c + V::W <= n; c += V::W) {
    R x0 = V::load(x + c);
    a0 = V::fma(H::load(w0 + c), x0, a0);
    a1 = V::fma(H::load(w1 + c), x0, a1);
    a2 = V::fma(H::load(w2 + c), x0, a2);
    a3 = V::fma(H::load(w3 + c), x0, a3);
  }
  float s0 = V::sum(V::add(a0, b0)), s1 = V::sum(V::add(a1, b1));
  float s2 = V::sum(V::add(a2, b2)), s3 = V::sum(V::add(a3, b3));
  for (; c < n; c++) {
    s0 = std::fma(H::one(w0[c]), x[c], s0);
    s1 = std::fma(H::one(w1[c]), x[c], s1);
    s2 = std::fma(H::one(w2[c]), x[c], s2);
    s3 = std::fma(H::one(w3[c]), x[c], s3);
  }
  s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3;
}

// Rows [r0, r1) of out = x · Wᵀ: decode streams one row after another; prefill keeps a block of four rows in
// cache while every batch row passes (the structure of matmul_f32_rows). D supplies dot and dot4.
template <class D>
void half_rows(float* out, const float* x, const uint16_t* w, int batch, int rows, int cols, int r0, int r1) {
  if (batch == 1) {
    for (int r = r0; r < r1; r++) out[r] = D::dot(w + (size_t)r * cols, x, cols);
    return;
  }
  int r = r0;
  for (; r + 4 <= r1; r += 4) {
    for (int b = 0; b < batch; b++) {
      float s[4];
      D::dot4(w + (size_t)r * cols, cols, x + (size_t)b * cols, cols, s);
      float* o = out + (size_t)b * rows + r;
      o[0] = s[0]; o[1] = s[1]; o[2] = s[2]; o[3] = s[3];
    }
  }
  for (; r < r1; r++)
    for (int b = 0; b < batch; b++) out[(size_t)b * rows + r] = D::dot(w + (size_t)r * cols, x + (size_t)b * cols, cols);
}

template <class V, class H>
struct WidenDot {
  static inline float dot(const uint16_t* w, const float* x, int n) { return half_dot<V, H>(w, x, n); }
  static inline void dot4(const uint16_t* w, size_t cols, const float* x, int n, float* s) {
    half_dot4<V, H>(w, cols, x, n, s);
  }
};

template <class V>
constexpr sj::HalfTable make_half_table(const char* name) {
  return sj::HalfTable{name, &half_rows<WidenDot<V, Bf16<V>>>, &half_rows<WidenDot<V, F16<V>>>};
}

}  // namespace
