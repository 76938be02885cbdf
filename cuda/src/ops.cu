// The element-wise and per-row Llama ops of sparsej_cuda.h, F32 in and out, FP32 arithmetic. Each matches the
// org.sparsej.backend.JavaBackend op it replaces up to float rounding order (cuda/test checks them against a
// double-precision reference, CudaBackendTest against JavaBackend).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "common.h"
#include "sparsej_cuda/sparsej_cuda.h"

using sjc::dev;

namespace {

constexpr int kThreads = 256;

__device__ float block_sum(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float total = 0.0f;
  for (int w = 0; w < (int)blockDim.x / 32; w++) total += shared[w];
  __syncthreads();
  return total;
}

__device__ float block_max(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float m = shared[0];
  for (int w = 1; w < (int)blockDim.x / 32; w++) m = fmaxf(m, shared[w]);
  __syncthreads();
  return m;
}

__global__ void rmsnorm_kernel(float* out, const float* x, const float* w, int dim, float eps) {
  __shared__ float shared[32];
  const float* row = x + (size_t)blockIdx.x * dim;
  float ss = 0.0f;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) ss += row[i] * row[i];
  ss = block_sum(ss, shared);
  const float scale = rsqrtf(ss / dim + eps);
  float* o = out + (size_t)blockIdx.x * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i] * scale * w[i];
}

// One thread per (row, head, pair) of q and then k; pair i of a head is (2i, 2i+1) or (i, i + half).
__global__ void rope_kernel(float* v, int batch, int pos0, int heads, int head_size, const float* freqs,
                            float scale, int style) {
  const int half = head_size / 2;
  const long long n = (long long)batch * heads * half;
  for (long long t = blockIdx.x * (long long)blockDim.x + threadIdx.x; t < n; t += (long long)gridDim.x * blockDim.x) {
    const int i = (int)(t % half);
    const long long bh = t / half;
    const int b = (int)(bh / heads);
    float* base = v + bh * head_size;
    float s, c;
    sincosf((float)(pos0 + b) * freqs[i], &s, &c);
    c *= scale;
    s *= scale;
    const int a = style == 1 ? i : 2 * i, o = style == 1 ? i + half : 2 * i + 1;
    const float v0 = base[a], v1 = base[o];
    base[a] = v0 * c - v1 * s;
    base[o] = v0 * s + v1 * c;
  }
}

__global__ void softmax_kernel(float* x, int n) {
  __shared__ float shared[32];
  float m = -INFINITY;
  for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, x[i]);
  m = block_max(m, shared);
  float sum = 0.0f;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const float e = expf(x[i] - m);
    x[i] = e;
    sum += e;
  }
  const float inv = 1.0f / block_sum(sum, shared);
  for (int i = threadIdx.x; i < n; i += blockDim.x) x[i] *= inv;
}

__global__ void swiglu_kernel(float* h1, const float* h3, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = h1[i];
    h1[i] = v / (1.0f + expf(-v)) * h3[i];
  }
}

__global__ void add_kernel(float* x, const float* y, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] += y[i];
}

__global__ void embedding_kernel(float* out, const float* table, const int* tokens, int dim) {
  const float* row = table + (size_t)tokens[blockIdx.x] * dim;
  float* o = out + (size_t)blockIdx.x * dim;
  for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = row[i];
}

__global__ void to_half_kernel(uint16_t* dst, const float* src, long long n, int dtype) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    if (dtype == SJC_BF16) {
      __nv_bfloat16 h = __float2bfloat16_rn(src[i]);
      dst[i] = *reinterpret_cast<uint16_t*>(&h);
    } else {
      __half h = __float2half_rn(src[i]);
      dst[i] = *reinterpret_cast<uint16_t*>(&h);
    }
  }
}

__global__ void from_half_kernel(float* dst, const uint16_t* src, long long n, int dtype) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    uint16_t bits = src[i];
    dst[i] = dtype == SJC_BF16 ? __bfloat162float(*reinterpret_cast<__nv_bfloat16*>(&bits))
                               : __half2float(*reinterpret_cast<__half*>(&bits));
  }
}

}  // namespace

extern "C" {

int sjc_rmsnorm(int64_t d_out, int64_t d_x, int64_t d_weight, int batch, int dim, float eps) {
  if (batch <= 0) return 0;
  rmsnorm_kernel<<<batch, kThreads, 0, sjc::stream()>>>(dev<float>(d_out), dev<float>(d_x), dev<float>(d_weight),
                                                        dim, eps);
  return sjc::launched("rmsnorm");
}

int sjc_rope(int64_t d_q, int64_t d_k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size,
             int64_t d_freqs, float scale, int style) {
  if (batch <= 0) return 0;
  const long long nq = (long long)batch * n_heads * (head_size / 2), nk = (long long)batch * n_kv_heads * (head_size / 2);
  rope_kernel<<<sjc::blocks_for(nq, kThreads), kThreads, 0, sjc::stream()>>>(
      dev<float>(d_q), batch, pos0, n_heads, head_size, dev<float>(d_freqs), scale, style);
  rope_kernel<<<sjc::blocks_for(nk, kThreads), kThreads, 0, sjc::stream()>>>(
      dev<float>(d_k), batch, pos0, n_kv_heads, head_size, dev<float>(d_freqs), scale, style);
  return sjc::launched("rope");
}

int sjc_softmax(int64_t d_x, int n) {
  if (n <= 0) return 0;
  softmax_kernel<<<1, 1024, 0, sjc::stream()>>>(dev<float>(d_x), n);
  return sjc::launched("softmax");
}

int sjc_swiglu(int64_t d_h1, int64_t d_h3, int64_t n) {
  if (n <= 0) return 0;
  swiglu_kernel<<<sjc::blocks_for(n, kThreads), kThreads, 0, sjc::stream()>>>(dev<float>(d_h1), dev<float>(d_h3), n);
  return sjc::launched("swiglu");
}

int sjc_add(int64_t d_x, int64_t d_y, int64_t n) {
  if (n <= 0) return 0;
  add_kernel<<<sjc::blocks_for(n, kThreads), kThreads, 0, sjc::stream()>>>(dev<float>(d_x), dev<float>(d_y), n);
  return sjc::launched("add");
}

int sjc_embedding(int64_t d_out, int64_t d_table, int64_t d_tokens, int count, int dim) {
  if (count <= 0) return 0;
  embedding_kernel<<<count, kThreads, 0, sjc::stream()>>>(dev<float>(d_out), dev<float>(d_table), dev<int>(d_tokens),
                                                          dim);
  return sjc::launched("embedding");
}

int sjc_to_half(int64_t d_dst, int64_t d_src, int64_t n, int dtype) {
  if (n <= 0) return 0;
  to_half_kernel<<<sjc::blocks_for(n, kThreads), kThreads, 0, sjc::stream()>>>(dev<uint16_t>(d_dst),
                                                                               dev<float>(d_src), n, dtype);
  return sjc::launched("to_half");
}

int sjc_from_half(int64_t d_dst, int64_t d_src, int64_t n, int dtype) {
  if (n <= 0) return 0;
  from_half_kernel<<<sjc::blocks_for(n, kThreads), kThreads, 0, sjc::stream()>>>(dev<float>(d_dst),
                                                                                 dev<uint16_t>(d_src), n, dtype);
  return sjc::launched("from_half");
}

}  // extern "C"
