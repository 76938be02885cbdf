// The paged attention of attention_paged.h: one parallel loop over every (row, head) of the batch.

#include "sparsej/attention_paged.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"
#include "sparsej/llama_ops.h"
#include "thread_pool.h"

namespace {

// Below this many multiply-adds one thread does the whole batch: decode steps over short contexts take tens of
// microseconds, less than waking the pool costs (and far less than waiting for a descheduled worker on a busy
// machine), while long prompts and contexts still split.
constexpr long kMinParallelWork = 1L << 20;

struct Segment {
  int row0, rows, pos0, table0;
};

const Segment* as_segments(const int32_t* s) { return reinterpret_cast<const Segment*>(s); }

inline float* page_at(const int64_t* pages, const Segment& s, int pos, int page_tokens) {
  return reinterpret_cast<float*>(static_cast<intptr_t>(pages[s.table0 + pos / page_tokens]));
}

}  // namespace

extern "C" {

void sj_attention_paged(float* out, const float* q, int n_segments, const int32_t* segments, const int64_t* pages,
                        int page_tokens, long key_offset, long value_offset, int n_heads, int n_kv_heads,
                        int head_size) {
  sj_attention_paged_window(out, q, n_segments, segments, pages, page_tokens, key_offset, value_offset, n_heads,
                            n_kv_heads, head_size, 0);
}

void sj_attention_paged_window(float* out, const float* q, int n_segments, const int32_t* segments,
                               const int64_t* pages, int page_tokens, long key_offset, long value_offset,
                               int n_heads, int n_kv_heads, int head_size, int window) {
  const sj::KernelTable& k = *sj::kernels().dense;
  const Segment* seg = as_segments(segments);
  const int dim = n_heads * head_size, kv_dim = n_kv_heads * head_size, group = n_heads / n_kv_heads;
  const float scale = 1.0f / sqrtf((float)head_size);
  int rows = 0, longest = 0;
  long work = 0;
  for (int s = 0; s < n_segments; s++) {
    rows = std::max(rows, seg[s].row0 + seg[s].rows);
    longest = std::max(longest, seg[s].pos0 + seg[s].rows);
    work += (long)seg[s].rows * n_heads * (seg[s].pos0 + seg[s].rows) * head_size * 2;
  }
  std::vector<int> segment_of(rows, 0);
  for (int s = 0; s < n_segments; s++)
    std::fill(segment_of.begin() + seg[s].row0, segment_of.begin() + seg[s].row0 + seg[s].rows, s);
  const int tasks = rows * n_heads;
  const int nt = work < kMinParallelWork ? 1 : sj::configured_threads();
  sj::parallel(nt, [&](int thread, int n_threads) {
    std::vector<float> scores(longest);
    const int first = (int)((long)tasks * thread / n_threads), end = (int)((long)tasks * (thread + 1) / n_threads);
    for (int task = first; task < end; task++) {
      const int r = task / n_heads, h = task % n_heads, kvh = h / group;
      const Segment& s = seg[segment_of[r]];
      const int last = s.pos0 + (r - s.row0);
      const int from = window > 0 ? std::max(0, last - window + 1) : 0;  // sliding window: the last `window`
      const float* qh = q + (size_t)r * dim + (size_t)h * head_size;
      for (int t = from; t <= last; t++) {
        const float* key = page_at(pages, s, t, page_tokens) + key_offset + (size_t)(t % page_tokens) * kv_dim;
        scores[t] = k.dot_f32(qh, key + (size_t)kvh * head_size, head_size) * scale;
      }
      sj_softmax(scores.data() + from, last + 1 - from);
      float* oh = out + (size_t)r * dim + (size_t)h * head_size;
      std::fill(oh, oh + head_size, 0.0f);
      for (int t = from; t <= last; t++) {
        const float* value = page_at(pages, s, t, page_tokens) + value_offset + (size_t)(t % page_tokens) * kv_dim;
        k.axpy_f32(oh, scores[t], value + (size_t)kvh * head_size, head_size);
      }
    }
  });
}

void sj_kv_write(const float* k, const float* v, int n_segments, const int32_t* segments, const int64_t* pages,
                 int page_tokens, long key_offset, long value_offset, int kv_dim) {
  const Segment* seg = as_segments(segments);
  for (int s = 0; s < n_segments; s++) {
    for (int i = 0; i < seg[s].rows; i++) {
      const int pos = seg[s].pos0 + i;
      float* page = page_at(pages, seg[s], pos, page_tokens);
      const size_t row = (size_t)(seg[s].row0 + i) * kv_dim, at = (size_t)(pos % page_tokens) * kv_dim;
      std::memcpy(page + key_offset + at, k + row, sizeof(float) * kv_dim);
      std::memcpy(page + value_offset + at, v + row, sizeof(float) * kv_dim);
    }
  }
}

}  // extern "C"
