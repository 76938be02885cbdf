// ISA-generic kernel bodies. Each kernels_<isa>.cpp includes this inside its own target region with V set
// to its vector traits, so one template yields the scalar, AVX2 and AVX-512 variants. Internal linkage keeps
// the variants apart (no ODR merging of code built for different ISAs).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "attention_impl.h"
#include "dense_tile_impl.h"
#include "simd_math.h"
#include "sparsej/llama_ops.h"

namespace {

template <class V>
inline float dot_f32(const float* a, const float* b, int n) {
  typename V::reg acc0 = V::zero(), acc1 = V::zero();
  int i = 0;
  for (; i + 2 * V::W <= n; i += 2 * V::W) {
    acc0 = V::fma(V::load(a + i), V::load(b + i), acc0);
    acc1 = V::fma(V::load(a + i + V::W), V::load(b + i + V::W), acc1);
  }
  for (; i + V::W <= n; i += V::W) acc0 = V::fma(V::load(a + i), V::load(b + i), acc0);
  float s = V::sum(V::add(acc0, acc1));
  // Tails are fused explicitly, in every dot kernel alike, so no kernel's result depends on the compiler's choice
  // to contract (a batched row must equal the row alone, bit for bit). W = 1 (scalar) never has a tail.
  for (; i < n; i++) s = std::fma(a[i], b[i], s);
  return s;
}

template <class V>
inline void axpy_f32(float* y, float a, const float* x, int n) {
  const typename V::reg av = V::set1(a);
  int i = 0;
  for (; i + V::W <= n; i += V::W) V::store(y + i, V::fma(av, V::load(x + i), V::load(y + i)));
  for (; i < n; i++) y[i] += a * x[i];
}

// Dense F32 rows of kMultiRowMinCols (stream_prefetch.h) or more are read four at a time in decode. (BF16 rows,
// fetched ahead, gained from four on 11008 columns and lost on 4096 on the Zen 3, so half_impl.h keeps one stream.)

// Rows [r0, r1) of out = x · wᵀ.
template <class V>
void matmul_f32_rows(float* out, const float* x, const float* w, int batch, int rows, int cols, int r0, int r1) {
  if (batch == 1) {
    // Decode is bound by reading W. Long rows go four at a time, four streams in flight: on the AVX2 Zen 3 the
    // hardware prefetcher kept one stream at 16-18 GB/s where four read 19-26 (OpenBLAS sgemv: 20-29), and a
    // software prefetch made the one stream slower. Short rows (sj-7m's 288 and 768) stay one continuous stream:
    // four interleaved 1 KiB rows read 13 GB/s against one stream's 17. Same sums either way, bit for bit.
    int r = r0;
    if (cols >= kMultiRowMinCols)
      for (; r + 4 <= r1; r += 4) widened_dots<V, F32Weights<V>, 4, 0>(out + r, w + (size_t)r * cols, cols, x, cols);
    for (; r < r1; r++) out[r] = dot_f32<V>(w + (size_t)r * cols, x, cols);
    return;
  }
  tiled_rows<V, F32Weights<V>>(out, x, w, batch, rows, cols, r0, r1, [](int, float s) { return s; });
}

template <class V>
void rmsnorm_row(float* out, const float* x, const float* weight, int dim, float eps) {
  float ss = dot_f32<V>(x, x, dim) / dim + eps;
  float scale = 1.0f / std::sqrt(ss);
  int i = 0;
  const typename V::reg sv = V::set1(scale);
  for (; i + V::W <= dim; i += V::W) V::store(out + i, V::mul(V::mul(V::load(x + i), sv), V::load(weight + i)));
  for (; i < dim; i++) out[i] = x[i] * scale * weight[i];
}

// Four independent accumulators keep enough loads in flight to saturate memory, not the adder.
template <class V>
float sum_f32(const float* x, long n) {
  typename V::reg a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
  long i = 0;
  for (; i + 4 * V::W <= n; i += 4 * V::W) {
    a0 = V::add(a0, V::load(x + i));
    a1 = V::add(a1, V::load(x + i + V::W));
    a2 = V::add(a2, V::load(x + i + 2 * V::W));
    a3 = V::add(a3, V::load(x + i + 3 * V::W));
  }
  float s = V::sum(V::add(V::add(a0, a1), V::add(a2, a3)));
  for (; i < n; i++) s += x[i];
  return s;
}

// e^x over n floats (sj_exp_f32): the exp of the softmax, exposed for its accuracy sweep.
template <class V>
void exp_n(float* y, const float* x, long n) {
  long i = 0;
  for (; i + V::W <= n; i += V::W) V::store(y + i, exp_f32<V>(V::load(x + i)));
  if (i < n) V::store_first(y + i, exp_f32<V>(V::load_first(x + i, (int)(n - i), 0.0f)), (int)(n - i));
}

// h1[i] = silu(h1[i]) · h3[i] = h1 / (1 + e^-h1) · h3 over n floats (sj_swiglu), e^x by exp_f32: each float the
// same operations whether in a whole vector or the partial last one, so any split of the range gives the same bits.
template <class V>
void swiglu_n(float* h1, const float* h3, long n) {
  using R = typename V::reg;
  const R one = V::set1(1.0f);
  const auto silu_times = [&](R v, R g) { return V::mul(V::div(v, V::add(one, exp_f32<V>(V::sub(V::zero(), v)))), g); };
  long i = 0;
  for (; i + V::W <= n; i += V::W) V::store(h1 + i, silu_times(V::load(h1 + i), V::load(h3 + i)));
  if (i < n) {
    const int m = (int)(n - i);
    V::store_first(h1 + i, silu_times(V::load_first(h1 + i, m, 0.0f), V::load_first(h3 + i, m, 0.0f)), m);
  }
}

template <class V>
constexpr sj::KernelTable make_kernel_table(const char* name) {
  return sj::KernelTable{name, &matmul_f32_rows<V>, &dot_f32<V>, &axpy_f32<V>, &rmsnorm_row<V>, &sum_f32<V>,
                         &exp_n<V>, &softmax_row<V>, &swiglu_n<V>, &attend_heads<V>};
}

}  // namespace
