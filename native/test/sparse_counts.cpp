// A small driver for instruction and cache-miss counts of one sparse kernel under valgrind (cachegrind /
// callgrind), where the VM gives no hardware counters: builds a random matrix of the given shape and sparsity in
// the compressed-tensors layout, then calls the kernel N times on one thread.
//   sparse_counts KERNEL ROWS COLS SPARSITY CALLS [BATCH]
//   KERNEL: bitmask-f32 | bitmask-w8a8 | 2:4-f32 | 2:4-w8a8
// Not a benchmark (no timing); docs/benchmarks.md, "Sparse kernels", quotes its counts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sparsej/dispatch.h"
#include "sparsej/sparse24.h"
#include "sparsej/spmv_bitmask.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: sparse_counts KERNEL ROWS COLS SPARSITY CALLS [BATCH]\n");
    return 2;
  }
  const std::string kernel = argv[1];
  const int rows = std::atoi(argv[2]), cols = std::atoi(argv[3]);
  const double sparsity = std::atof(argv[4]);
  const int calls = std::atoi(argv[5]);
  const int batch = argc > 6 ? std::atoi(argv[6]) : 1;
  if (rows <= 0 || cols <= 0 || cols % 4 != 0 || calls <= 0 || batch <= 0) {
    std::fprintf(stderr, "error: rows, cols (a multiple of 4), calls and batch must be positive\n");
    return 2;
  }
  sj_set_threads(1);
  // xorshift64: cheap under valgrind, where the matrix set-up would otherwise cost more than the kernel calls
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  auto rng = [&]() {
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return (uint32_t)(state >> 32);
  };
  auto uni = [&]() { return (float)rng() * (2.0f / 4294967296.0f) - 1.0f; };
  std::vector<float> x((size_t)batch * cols), out((size_t)batch * rows);
  for (float& v : x) v = uni();
  std::vector<int8_t> xq((size_t)batch * cols);
  std::vector<float> xs(batch, 0.01f);
  for (auto& v : xq) v = (int8_t)(rng() % 255 - 127);
  std::vector<float> scales(rows, 0.01f);
  const int stride = (cols + 7) / 8;
  std::vector<uint8_t> meta((size_t)rows * stride);
  std::vector<int32_t> offsets(rows + 1), row_sums(rows, 0);
  std::vector<float> fvals;
  std::vector<int8_t> qvals;
  const bool two_four = kernel.rfind("2:4", 0) == 0;
  if (two_four) {  // 2 of each 4 kept, indices chosen at random
    fvals.resize((size_t)rows * cols / 2 + 64);
    qvals.resize(fvals.size());
    for (int r = 0; r < rows; r++)
      for (int g = 0; g < cols / 4; g++) {
        int a = rng() % 4, b = (a + 1 + rng() % 3) % 4;
        if (a > b) std::swap(a, b);
        uint8_t& m = meta[(size_t)r * stride + g / 2];
        m |= (uint8_t)((a | b << 2) << (4 * (g % 2)));
      }
    for (size_t i = 0; i < fvals.size(); i++) {
      fvals[i] = uni();
      qvals[i] = (int8_t)(rng() % 255 - 127);
    }
  } else {
    const uint32_t keep_below = (uint32_t)((1.0 - sparsity) * 4294967295.0);
    fvals.reserve((size_t)((1.0 - sparsity) * rows * cols * 1.01) + 64);
    qvals.reserve(fvals.capacity());
    for (int r = 0; r < rows; r++) {
      offsets[r] = (int32_t)fvals.size();
      for (int c = 0; c < cols; c++)
        if (rng() < keep_below) {
          meta[(size_t)r * stride + c / 8] |= (uint8_t)(1 << (c % 8));
          fvals.push_back(uni());
          qvals.push_back((int8_t)(rng() % 255 - 127));
          row_sums[r] += qvals.back();
        }
    }
    offsets[rows] = (int32_t)fvals.size();
    fvals.resize(fvals.size() + 64);
    qvals.resize(qvals.size() + 64);
  }
  for (int i = 0; i < calls; i++) {
    if (kernel == "bitmask-f32")
      sj_bitmask_matmul_f32(out.data(), x.data(), batch, rows, cols, meta.data(), offsets.data(), fvals.data());
    else if (kernel == "bitmask-w8a8")
      sj_bitmask_matmul_w8a8(out.data(), xq.data(), xs.data(), batch, rows, cols, meta.data(), offsets.data(),
                             qvals.data(), scales.data(), row_sums.data());
    else if (kernel == "2:4-f32")
      sj_sparse24_matmul_f32(out.data(), x.data(), batch, rows, cols, fvals.data(), meta.data());
    else if (kernel == "2:4-w8a8")
      sj_sparse24_matmul_w8a8(out.data(), xq.data(), xs.data(), batch, rows, cols, qvals.data(), meta.data(),
                              scales.data(), row_sums.data());
    else {
      std::fprintf(stderr, "error: unknown kernel %s\n", kernel.c_str());
      return 2;
    }
  }
  double s = 0;
  for (float v : out) s += v;
  std::printf("%s %dx%d sparsity %.2f batch %d isa %s: checksum %.6g\n", kernel.c_str(), rows, cols, sparsity, batch,
              sj_isa_name(sj_isa_active()), s);
  return 0;
}
