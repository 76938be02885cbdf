// 2:4 GEMM with mma.sp.m16n8k32 (FP16 in, FP32 accumulate). W (rows x cols, at most 2 non-zeros per group of 4
// columns) is A: the tensor core takes 16 rows x 32 columns of it as 16 x 16 kept values plus 2-bit indices, and
// x is B (32 columns x 8 batch rows). Each warp owns a 16-row tile and every 8th 32-column chunk of it; the block
// sums its warps. Decode reads W once per step, so the layout (built on the host by sparse24_pack.cpp, which says
// how it follows the PTX ISA's fragment and metadata layouts) puts each lane's A fragment in one 16-byte load and
// its metadata word (lanes t = 0, 1 of each quad: sparsity selector 0) in one 4-byte load.
#include <cuda_fp16.h>

#include <string>

#include "common.h"
#include "sparse24_mma.h"
#include "sparse24_pack.h"
#include "sparsej_cuda/sparsej_cuda.h"

namespace {

constexpr int kWarps = 8;

__host__ __device__ inline int tiles(int n, int tile) { return (n + tile - 1) / tile; }

__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

__device__ __forceinline__ float x_at(const float* x, int cols, int batch, int n, int k) {
  return n < batch && k < cols ? x[(size_t)n * cols + k] : 0.0f;
}

template <int NT>
__global__ void __launch_bounds__(32 * kWarps) sparse24_mma_kernel(float* out, const float* x, const uint4* values,
                                                                   const uint32_t* meta, int rows, int cols,
                                                                   int batch) {
  __shared__ float partial[kWarps][NT][32][4];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane >> 2, t = lane & 3;
  const int tile = blockIdx.x, chunks = tiles(cols, 32), n0 = blockIdx.y * 8 * NT;
  float c[NT][4] = {};
  for (int kc = warp; kc < chunks; kc += kWarps) {
    const size_t at = (size_t)tile * chunks + kc;
    const uint4 a = values[at * 32 + lane];
    const uint32_t e = t < 2 ? meta[at * 16 + g * 2 + t] : 0u;
    const int k0 = kc * 32 + 2 * t;
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
      const int n = n0 + nt * 8 + g;
      uint32_t b[4];
#pragma unroll
      for (int j = 0; j < 4; j++)
        b[j] = pack_half2(x_at(x, cols, batch, n, k0 + 8 * j), x_at(x, cols, batch, n, k0 + 8 * j + 1));
      asm volatile(
          "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
          "{%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, 0x0;\n"
          : "+f"(c[nt][0]), "+f"(c[nt][1]), "+f"(c[nt][2]), "+f"(c[nt][3])
          : "r"(a.x), "r"(a.y), "r"(a.z), "r"(a.w), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]), "r"(e));
    }
  }
  for (int nt = 0; nt < NT; nt++)
    for (int i = 0; i < 4; i++) partial[warp][nt][lane][i] = c[nt][i];
  __syncthreads();
  if (warp != 0) return;
  for (int nt = 0; nt < NT; nt++) {
    float sum[4] = {};
    for (int w = 0; w < kWarps; w++)
      for (int i = 0; i < 4; i++) sum[i] += partial[w][nt][lane][i];
    // C fragment: (row g, batch 2t, 2t+1) and (row g+8, batch 2t, 2t+1).
    for (int i = 0; i < 4; i++) {
      const int r = tile * 16 + g + (i >= 2 ? 8 : 0), n = n0 + nt * 8 + 2 * t + (i & 1);
      if (r < rows && n < batch) out[(size_t)n * rows + r] = sum[i];
    }
  }
}

}  // namespace

namespace sjc {

int sparse24_mma(float* out, const float* x, const uint4* values, const uint32_t* meta, int rows, int cols,
                 int batch) {
  const int nt = batch > 8 ? 2 : 1;
  const dim3 grid(tiles(rows, 16), tiles(batch, 8 * nt));
  if (nt == 1)
    sparse24_mma_kernel<1><<<grid, 32 * kWarps, 0, stream()>>>(out, x, values, meta, rows, cols, batch);
  else
    sparse24_mma_kernel<2><<<grid, 32 * kWarps, 0, stream()>>>(out, x, values, meta, rows, cols, batch);
  return launched("mma.sp 2:4 matmul");
}

}  // namespace sjc

extern "C" {

int64_t sjc_pack_sparse24_values(int rows, int cols) { return sjc::pack24_values(rows, cols); }

int64_t sjc_pack_sparse24_meta(int rows, int cols) { return sjc::pack24_meta(rows, cols); }

int sjc_pack_sparse24(const float* w, int rows, int cols, uint16_t* values, uint32_t* meta) {
  const std::string why = sjc::pack24(w, rows, cols, values, meta);
  return why.empty() ? 0 : sjc::fail(why);
}

}  // extern "C"
