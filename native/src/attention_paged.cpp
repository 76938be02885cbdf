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

// Below this many multiply-adds one thread does the whole batch: decode steps over short contexts take a few
// microseconds, less than waking the pool costs (and far less than waiting for a descheduled worker on a busy
// machine), while long prompts and contexts (a decode step past ~160 positions on 12 heads of 64) still split.
constexpr long kMinParallelWork = 1L << 18;

struct Segment {
  int row0, rows, pos0, table0;
};

// Consecutive rows [row0, row0 + rows) of one segment, the first at position last.
struct Group {
  int row0, rows, last, segment;
};

// Rows of a prompt that attend together (KernelTable::attend_heads): four rows' q and out (12 KB each on
// stories110M) stay in L1 beside the position being read.
constexpr int kGroupRows = 4;

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
  int longest = 0;
  long work = 0;
  for (int s = 0; s < n_segments; s++) {
    longest = std::max(longest, seg[s].pos0 + seg[s].rows);
    work += (long)seg[s].rows * n_heads * (seg[s].pos0 + seg[s].rows) * head_size * 2;
  }
  // Groups of up to kGroupRows consecutive rows of one segment: a group reads each cached position once.
  std::vector<Group> groups;
  for (int s = 0; s < n_segments; s++)
    for (int i = 0; i < seg[s].rows; i += kGroupRows)
      groups.push_back(Group{seg[s].row0 + i, std::min(kGroupRows, seg[s].rows - i), seg[s].pos0 + i, s});
  const int nt = work < kMinParallelWork ? 1 : sj::configured_threads();
  // A task is one group's heads, or a share of them when there are fewer groups than threads (a decode step).
  const int n_groups = (int)groups.size();
  const int chunks = std::min(n_heads, std::max(1, (nt + n_groups - 1) / std::max(1, n_groups)));
  const int tasks = n_groups * chunks;
  sj::parallel(nt, [&](int thread, int n_threads) {
    thread_local std::vector<float> scores;
    scores.resize((size_t)kGroupRows * ((n_heads + chunks - 1) / chunks + 1) * longest);
    // Tasks dealt out in turn, not in blocks: a prompt's later rows attend to more positions, and blocks of rows
    // would leave the last thread the longest ones.
    for (int task = thread; task < tasks; task += n_threads) {
      const Group& g = groups[task / chunks];
      const int c = task % chunks;
      const int h0 = (int)((long)n_heads * c / chunks), h1 = (int)((long)n_heads * (c + 1) / chunks);
      k.attend_heads(out + (size_t)g.row0 * dim, q + (size_t)g.row0 * dim, dim, g.rows, pages + seg[g.segment].table0,
                     key_offset, value_offset, page_tokens, kv_dim, g.last, window, h0, h1, group, head_size, scale,
                     scores.data());
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
