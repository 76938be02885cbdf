// GEMM timings on Llama-2-7B's shapes through the C API the backend calls (so each time includes rounding the
// F32 activations to FP16 and, for cuSPARSELt, the FP16 -> F32 output): cuBLAS dense FP16 against 2:4 on
// cuSPARSELt and on the own mma.sp kernel. One CSV line per (shape, batch, path) on stdout.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "sparsej_cuda/sparsej_cuda.h"

namespace {

std::vector<float> random_24(int rows, int cols, std::mt19937& rng) {
  std::vector<float> w((size_t)rows * cols, 0.0f);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t g = 0; g < w.size() / 4; g++) {
    const int a = (int)(rng() % 4), b = (a + 1 + (int)(rng() % 3)) % 4;
    w[4 * g + a] = u(rng);
    w[4 * g + b] = u(rng);
  }
  return w;
}

// Microseconds per call: 3 warm-up calls, then enough calls for about 50 ms.
double time_us(int64_t out, int64_t x, int64_t weight, int batch) {
  for (int i = 0; i < 3; i++) sjc_matmul(out, x, weight, batch);
  sjc_synchronize();
  auto t0 = std::chrono::steady_clock::now();
  sjc_matmul(out, x, weight, batch);
  sjc_synchronize();
  const double once = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  const int reps = once > 50000 ? 2 : (int)(50000 / (once + 1)) + 2;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; i++) sjc_matmul(out, x, weight, batch);
  if (sjc_synchronize() != 0) return -1;
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / reps;
}

}  // namespace

int main() {
  if (const char* r = sjc_unavailable_reason()) {
    std::printf("no device: %s\n", r);
    return 1;
  }
  std::printf("# %s\n# cuSPARSELt: %s %s\n", sjc_describe(),
              sjc_cusparselt_reason() ? sjc_cusparselt_reason() : "loaded", sjc_cusparselt_version());
  std::printf("rows,cols,batch,path,us,tflops,vs_cublas\n");
  std::mt19937 rng(7);
  const int shapes[3][2] = {{4096, 4096}, {11008, 4096}, {4096, 11008}};
  const int batches[] = {1, 16, 128, 1024, 4096};
  for (auto& s : shapes) {
    const int rows = s[0], cols = s[1];
    std::vector<float> w = random_24(rows, cols, rng);
    const int64_t dense = sjc_weight_dense_f32(w.data(), rows, cols, SJC_F16);
    const int64_t lt = sjc_weight_sparse24(w.data(), rows, cols, SJC_PATH_CUSPARSELT);
    const int64_t mma = sjc_weight_sparse24(w.data(), rows, cols, SJC_PATH_MMA_SP);
    if (lt == 0) std::printf("# cuSPARSELt prepare %dx%d: %s\n", rows, cols, sjc_last_error());
    const int64_t x = sjc_malloc((int64_t)4096 * cols * 4), out = sjc_malloc((int64_t)4096 * rows * 4);
    {  // random activations: zeros would flatter the tensor cores' power draw
      std::vector<float> host((size_t)4096 * cols);
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (auto& v : host) v = u(rng);
      sjc_upload(x, host.data(), (int64_t)host.size() * 4);
    }
    for (int batch : batches) {
      const double flops = 2.0 * rows * cols * batch;
      const double base = time_us(out, x, dense, batch);
      const int64_t paths[3] = {dense, lt, mma};
      const char* names[3] = {"cublas-f16", "cusparselt-2:4", "mma.sp-2:4"};
      for (int p = 0; p < 3; p++) {
        if (paths[p] == 0) continue;
        const double us = p == 0 ? base : time_us(out, x, paths[p], batch);
        std::printf("%d,%d,%d,%s,%.1f,%.1f,%.2f\n", rows, cols, batch, names[p], us, flops / us / 1e6, base / us);
        std::fflush(stdout);
      }
    }
    sjc_free(x);
    sjc_free(out);
    for (int64_t h : {dense, lt, mma})
      if (h != 0) sjc_weight_free(h);
  }
  return 0;
}
