// Attention over a paged KV cache for a batch of rows from several sequences (continuous batching).
//
// KV memory is a set of pages; each page holds page_tokens positions of keys and values for every layer. The
// caller passes, for one layer, where that layer's keys and values start inside a page (key_offset,
// value_offset, in floats); position p of a sequence is row p % page_tokens of its page p / page_tokens.
// segments: [n_segments][4] int32 {row0, rows, pos0, table0}: rows row0 .. row0+rows-1 of the batch belong to
// one sequence, at positions pos0 ..; its pages are pages[table0], pages[table0 + 1], ... (page base addresses).
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// out, q: [rows][n_heads*head_size]. Row r of segment s attends to positions 0 .. pos0 + (r - row0), as
// sj_attention does over a contiguous cache (the same arithmetic, row for row).
void sj_attention_paged(float* out, const float* q, int n_segments, const int32_t* segments, const int64_t* pages,
                        int page_tokens, long key_offset, long value_offset, int n_heads, int n_kv_heads,
                        int head_size);

// Stores k and v [rows][kv_dim] of this pass at their positions in the segments' pages.
// As sj_attention_paged, each row attending only to its last `window` positions (itself included) when
// window > 0: Mistral's sliding-window attention.
void sj_attention_paged_window(float* out, const float* q, int n_segments, const int32_t* segments,
                               const int64_t* pages, int page_tokens, long key_offset, long value_offset,
                               int n_heads, int n_kv_heads, int head_size, int window);

void sj_kv_write(const float* k, const float* v, int n_segments, const int32_t* segments, const int64_t* pages,
                 int page_tokens, long key_offset, long value_offset, int kv_dim);

#ifdef __cplusplus
}
#endif
