// Times sj_attention_paged on one shape (docs/benchmarks.md, attention): a prefill of `rows` rows from position 0,
// or one decode row after `positions` cached ones, over `sets` separate KV caches used in turn (one per layer; enough
// of them and each is read from memory, as in a decode step after the weights). Not a test.
//   sparsej_attention_bench ISA THREADS prefill|decode POSITIONS [SETS [HEADS KV_HEADS HEAD_SIZE [REPEATS]]]
// Prints the best and median time per call and the multiply-add rate.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "sparsej/attention_paged.h"
#include "sparsej/dispatch.h"

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s ISA THREADS prefill|decode POSITIONS [SETS [HEADS KV_HEADS HEAD_SIZE [REPEATS]]]\n",
                 argv[0]);
    return 2;
  }
  int isa = -1;
  for (int i = 0; i < sj_isa_count(); i++)
    if (std::strcmp(sj_isa_name(i), argv[1]) == 0) isa = i;
  if (isa < 0 || sj_isa_select(isa) != isa) {
    std::fprintf(stderr, "ISA %s not runnable here\n", argv[1]);
    return 2;
  }
  sj_set_threads(std::atoi(argv[2]));
  const bool prefill = std::strcmp(argv[3], "prefill") == 0;
  const int positions = std::atoi(argv[4]);
  const int sets = argc > 5 ? std::atoi(argv[5]) : 12;
  const int heads = argc > 8 ? std::atoi(argv[6]) : 12, kv_heads = argc > 8 ? std::atoi(argv[7]) : 12;
  const int hs = argc > 8 ? std::atoi(argv[8]) : 64;
  const int repeats = argc > 9 ? std::atoi(argv[9]) : 20;
  const int page_tokens = 16, kv_dim = kv_heads * hs, dim = heads * hs;
  const int rows = prefill ? positions : 1, pos0 = prefill ? 0 : positions, total = pos0 + rows;
  const int pages = (total + page_tokens - 1) / page_tokens;
  const long value_offset = (long)page_tokens * kv_dim, page_floats = 2 * value_offset;

  uint64_t s = 0x9e3779b97f4a7c15ULL;
  auto uniform = [&] {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return (float)((s >> 11) % 2000001) / 1000000.0f - 1.0f;
  };
  std::vector<std::vector<float>> kv(sets, std::vector<float>((size_t)pages * page_floats));
  std::vector<std::vector<int64_t>> table(sets, std::vector<int64_t>(pages));
  for (int l = 0; l < sets; l++) {
    for (float& x : kv[l]) x = uniform();
    for (int p = 0; p < pages; p++) table[l][p] = (int64_t)(intptr_t)(kv[l].data() + (size_t)p * page_floats);
  }
  std::vector<float> q((size_t)rows * dim), out((size_t)rows * dim);
  for (float& x : q) x = uniform();
  const int32_t segment[4] = {0, rows, pos0, 0};

  std::vector<double> per_call;
  for (int r = 0; r < repeats + 1; r++) {
    auto t0 = std::chrono::steady_clock::now();
    for (int l = 0; l < sets; l++)
      sj_attention_paged(out.data(), q.data(), 1, segment, table[l].data(), page_tokens, 0, value_offset, heads,
                         kv_heads, hs);
    auto t1 = std::chrono::steady_clock::now();
    if (r > 0) per_call.push_back(std::chrono::duration<double>(t1 - t0).count() / sets);  // the first warms up
  }
  std::sort(per_call.begin(), per_call.end());
  double macs = 0;  // q·k and p·v per row and head
  for (int i = 0; i < rows; i++) macs += 2.0 * heads * (pos0 + i + 1) * hs;
  const double best = per_call.front(), median = per_call[per_call.size() / 2];
  std::printf("%s %s %d positions, %d sets, %d threads: best %.1f us, median %.1f us per call, %.1f GFLOP/s best"
              " (checksum %.6g)\n",
              argv[1], prefill ? "prefill" : "decode", positions, sets, std::atoi(argv[2]), best * 1e6, median * 1e6,
              2 * macs / best * 1e-9, (double)out[out.size() / 2]);
  return 0;
}
