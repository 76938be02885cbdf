// Probes CPUID once and points active_kernels() at the best table the CPU can run.
#include "sparsej/dispatch.h"

#include <atomic>
#include <string>

#include "kernel_table.h"
#include "thread_pool.h"

namespace {

int detect_isa() {
  __builtin_cpu_init();
  // __builtin_cpu_supports also checks that the OS saves the wider register state (XCR0).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
    return SJ_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SJ_ISA_AVX2;
  return SJ_ISA_SCALAR;
}

std::string feature_list() {
  __builtin_cpu_init();
  std::string s;
  auto add = [&](const char* name, bool present) {
    if (!present) return;
    if (!s.empty()) s += ",";
    s += name;
  };
  add("sse4.2", __builtin_cpu_supports("sse4.2"));
  add("avx", __builtin_cpu_supports("avx"));
  add("avx2", __builtin_cpu_supports("avx2"));
  add("fma", __builtin_cpu_supports("fma"));
  add("f16c", __builtin_cpu_supports("f16c"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  add("avx512vl", __builtin_cpu_supports("avx512vl"));
  add("avx512dq", __builtin_cpu_supports("avx512dq"));
  add("avx512vnni", __builtin_cpu_supports("avx512vnni"));
  return s;
}

const int kDetected = detect_isa();
std::atomic<int> g_active{kDetected};
std::atomic<int> g_threads{0};

}  // namespace

namespace sj {
const KernelTable& active_kernels() {
  switch (g_active.load(std::memory_order_relaxed)) {
    case SJ_ISA_AVX512: return kAvx512Kernels;
    case SJ_ISA_AVX2: return kAvx2Kernels;
    default: return kScalarKernels;
  }
}
}  // namespace sj

extern "C" {

int sj_isa_detected(void) { return kDetected; }
int sj_isa_active(void) { return g_active.load(); }

int sj_isa_select(int isa) {
  if (isa < SJ_ISA_SCALAR || isa > kDetected) return -1;
  g_active.store(isa);
  return isa;
}

const char* sj_isa_name(int isa) {
  switch (isa) {
    case SJ_ISA_SCALAR: return "scalar";
    case SJ_ISA_AVX2: return "avx2";
    case SJ_ISA_AVX512: return "avx512";
    default: return "unknown";
  }
}

const char* sj_cpu_features(void) {
  static const std::string features = feature_list();
  return features.c_str();
}

void sj_set_threads(int n) { g_threads.store(n < 1 ? 0 : n); }

int sj_get_threads(void) {
  int n = g_threads.load();
  return n > 0 ? n : sj::hardware_threads();
}

}  // extern "C"
