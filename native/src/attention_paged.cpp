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

// Below this many multiply-adds one thread does the whole batch, as the matmuls do (parallel_ops.cpp): a decode
// step of sj-7m (6 heads of 48) at 64-255 positions took 7.3-20.8 us alone and 5.3-15.3 split on 2 threads (the pool
// hands off in about a microsecond, and runs a share no worker has started itself), where 1 << 18 kept it on one.
constexpr long kMinParallelWork = 1L << 15;

struct Segment {
  int row0, rows, pos0, table0;
};

// Consecutive rows [row0, row0 + rows) of one segment, the first at position last.
struct Group {
  int row0, rows, last, segment;
};

// Rows of a prompt that attend together (KernelTable::attend_heads), and the heads of one task among them: each
// position's keys and values are read once for the group's rows (8 rows x 4 heads of q and out, 8 KB each, stay in
// L1), and a task's share of the KV (4 heads of every position: 1 MB at 512 positions of stories110M) stays in L2
// for the thread's next group of the same heads.
// Measured at 512 positions on 2 threads (sparsej_attention_bench): 8 rows x 4 heads 5.2-5.8 ms a layer, 16 x 4 and
// 12 x 4 alike, 4 rows x all 12 heads 6.5-7.1 ms.
constexpr int kGroupRows = 8;
constexpr int kHeadsPerTask = 4;

// One task: heads [h0, h1) of a group.
struct Task {
  int group, h0, h1;
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
  // A group of several rows is split into kHeadsPerTask heads a task; a single row (a decode step) reads each
  // position's KV row once whole, split only to give every thread a share when there are fewer groups than threads.
  const int n_groups = (int)groups.size();
  const int spread = std::min(n_heads, std::max(1, (nt + n_groups - 1) / std::max(1, n_groups)));
  const int split = std::min(n_heads, (n_heads + kHeadsPerTask - 1) / kHeadsPerTask);
  std::vector<Task> tasks;
  int widest = 1;
  // Chunk-major: the tasks of one chunk of heads follow one another (and go to the threads in turn), so each
  // thread's next group reads the same heads' KV again.
  for (int c = 0; c < std::max(spread, split); c++)
    for (int gi = 0; gi < n_groups; gi++) {
      const int chunks = groups[gi].rows > 1 ? std::max(spread, split) : spread;
      if (c >= chunks) continue;
      const int h0 = (int)((long)n_heads * c / chunks), h1 = (int)((long)n_heads * (c + 1) / chunks);
      tasks.push_back(Task{gi, h0, h1});
      widest = std::max(widest, h1 - h0);
    }
  const int n_tasks = (int)tasks.size();
  sj::parallel(nt, [&](int thread, int n_threads) {
    thread_local std::vector<float> scores;
    scores.resize((size_t)kGroupRows * widest * longest);
    // Tasks dealt out in turn, not in blocks: a prompt's later rows attend to more positions, and blocks of rows
    // would leave the last thread the longest ones.
    for (int i = thread; i < n_tasks; i += n_threads) {
      const Task& t = tasks[i];
      const Group& g = groups[t.group];
      k.attend_heads(out + (size_t)g.row0 * dim, q + (size_t)g.row0 * dim, dim, g.rows, pages + seg[g.segment].table0,
                     key_offset, value_offset, page_tokens, kv_dim, g.last, window, t.h0, t.h1, group, head_size, scale,
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
