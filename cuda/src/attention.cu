// Paged KV cache on the device: the layout of native/include/sparsej/attention_paged.h, with the page table
// (segments, then page base addresses) itself in device memory. Attention is one block per (row, head); each
// warp keeps an online softmax over every 4th position (so any context length fits in registers), and the
// block merges the warps' partial results at the end.
#include <string>

#include "common.h"
#include "sparsej_cuda/sparsej_cuda.h"

using sjc::dev;

namespace {

constexpr int kWarps = 4;
constexpr int kMaxHeadSize = 256;  // 8 values per lane

struct Segment {
  int row0, rows, pos0, table0;
};

__device__ int segment_of(const Segment* seg, int n_segments, int row) {
  for (int s = 0; s < n_segments; s++)
    if (row >= seg[s].row0 && row < seg[s].row0 + seg[s].rows) return s;
  return 0;
}

__device__ const float* page_at(const long long* pages, const Segment& s, int pos, int page_tokens) {
  return reinterpret_cast<const float*>(static_cast<intptr_t>(pages[s.table0 + pos / page_tokens]));
}

__global__ void kv_write_kernel(const float* k, const float* v, int n_segments, const int* table, int page_tokens,
                                long long key_offset, long long value_offset, int kv_dim) {
  const Segment* seg = reinterpret_cast<const Segment*>(table);
  const long long* pages = reinterpret_cast<const long long*>(table + 4 * n_segments);
  const int r = blockIdx.x;
  const Segment& s = seg[segment_of(seg, n_segments, r)];
  const int pos = s.pos0 + (r - s.row0);
  float* page = const_cast<float*>(page_at(pages, s, pos, page_tokens));
  const size_t at = (size_t)(pos % page_tokens) * kv_dim;
  for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
    page[key_offset + at + i] = k[(size_t)r * kv_dim + i];
    page[value_offset + at + i] = v[(size_t)r * kv_dim + i];
  }
}

__global__ void attention_kernel(float* out, const float* q, int n_segments, const int* table, int page_tokens,
                                 long long key_offset, long long value_offset, int n_heads, int n_kv_heads,
                                 int head_size, int window) {
  __shared__ float part_max[kWarps], part_sum[kWarps];
  __shared__ float part_acc[kWarps][kMaxHeadSize];
  const Segment* seg = reinterpret_cast<const Segment*>(table);
  const long long* pages = reinterpret_cast<const long long*>(table + 4 * n_segments);
  const int r = blockIdx.x / n_heads, h = blockIdx.x % n_heads, kvh = h / (n_heads / n_kv_heads);
  const Segment& s = seg[segment_of(seg, n_segments, r)];
  const int last = s.pos0 + (r - s.row0);
  const int from = window > 0 ? max(0, last - window + 1) : 0;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, per_lane = (head_size + 31) / 32;
  const int dim = n_heads * head_size, kv_dim = n_kv_heads * head_size;
  const float scale = rsqrtf((float)head_size);
  float qv[kMaxHeadSize / 32], acc[kMaxHeadSize / 32];
  for (int j = 0; j < per_lane; j++) {
    const int d = lane + 32 * j;
    qv[j] = d < head_size ? q[(size_t)r * dim + (size_t)h * head_size + d] : 0.0f;
    acc[j] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int t = from + warp; t <= last; t += kWarps) {
    const float* page = page_at(pages, s, t, page_tokens);
    const size_t row = (size_t)(t % page_tokens) * kv_dim + (size_t)kvh * head_size;
    const float* key = page + key_offset + row;
    const float* value = page + value_offset + row;
    float dot = 0.0f;
    for (int j = 0; j < per_lane; j++) {
      const int d = lane + 32 * j;
      if (d < head_size) dot += qv[j] * key[d];
    }
    for (int o = 16; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
    const float score = dot * scale;
    const float m_new = fmaxf(m, score);
    const float correction = expf(m - m_new), p = expf(score - m_new);
    l = l * correction + p;
    for (int j = 0; j < per_lane; j++) {
      const int d = lane + 32 * j;
      acc[j] = acc[j] * correction + (d < head_size ? p * value[d] : 0.0f);
    }
    m = m_new;
  }
  if (lane == 0) {
    part_max[warp] = m;
    part_sum[warp] = l;
  }
  for (int j = 0; j < per_lane; j++) {
    const int d = lane + 32 * j;
    if (d < head_size) part_acc[warp][d] = acc[j];
  }
  __syncthreads();
  float total_max = part_max[0];
  for (int w = 1; w < kWarps; w++) total_max = fmaxf(total_max, part_max[w]);
  float total = 0.0f, weight[kWarps];
  for (int w = 0; w < kWarps; w++) {
    weight[w] = part_sum[w] == 0.0f ? 0.0f : expf(part_max[w] - total_max);
    total += part_sum[w] * weight[w];
  }
  for (int d = threadIdx.x; d < head_size; d += blockDim.x) {
    float o = 0.0f;
    for (int w = 0; w < kWarps; w++) o += part_acc[w][d] * weight[w];
    out[(size_t)r * dim + (size_t)h * head_size + d] = o / total;
  }
}

}  // namespace

extern "C" {

int sjc_kv_write(int64_t d_k, int64_t d_v, int rows, int n_segments, int64_t d_table, int page_tokens,
                 int64_t key_offset, int64_t value_offset, int kv_dim) {
  if (rows <= 0) return 0;
  kv_write_kernel<<<rows, 256, 0, sjc::stream()>>>(dev<float>(d_k), dev<float>(d_v), n_segments, dev<int>(d_table),
                                                   page_tokens, key_offset, value_offset, kv_dim);
  return sjc::launched("kv_write");
}

int sjc_attention_paged(int64_t d_out, int64_t d_q, int rows, int n_segments, int64_t d_table, int page_tokens,
                        int64_t key_offset, int64_t value_offset, int n_heads, int n_kv_heads, int head_size,
                        int window) {
  if (head_size > kMaxHeadSize) return sjc::fail("attention: head size " + std::to_string(head_size) + " > 256");
  if (rows <= 0) return 0;
  attention_kernel<<<rows * n_heads, 32 * kWarps, 0, sjc::stream()>>>(
      dev<float>(d_out), dev<float>(d_q), n_segments, dev<int>(d_table), page_tokens, key_offset, value_offset,
      n_heads, n_kv_heads, head_size, window);
  return sjc::launched("attention");
}

}  // extern "C"
