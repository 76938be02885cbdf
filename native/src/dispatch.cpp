// Probes CPUID once and points kernels() at the row of the best ISA in isa_list.h that the CPU can run.
#include "sparsej/dispatch.h"

#include <atomic>
#include <cstring>
#include <string>

#include "kernels.h"
#include "thread_pool.h"

namespace sj {
// The per-ISA tables, defined in the family's per-ISA source files (a family's column may repeat a variant).
#define SJ_DECLARE_ROW(id, name, dense, sparse, int8, q8, half) \
  extern const KernelTable dense_##dense;                         \
  extern const SparseKernelTable sparse_##sparse;                 \
  extern const Int8KernelTable int8_##int8;                       \
  extern const Q8Table q8_0_##q8;                                 \
  extern const HalfTable half_##half;
SJ_ISA_LIST(SJ_DECLARE_ROW)
#undef SJ_DECLARE_ROW
}  // namespace sj

namespace {

#define SJ_ROW(id, name, dense, sparse, int8, q8, half)                                                       \
  sj::IsaKernels{id, #name, &sj::dense_##dense, &sj::sparse_##sparse, &sj::int8_##int8, &sj::q8_0_##q8, \
                 &sj::half_##half},
constexpr sj::IsaKernels kRows[] = {SJ_ISA_LIST(SJ_ROW)};
#undef SJ_ROW

// Row i must be sj_isa value i (dispatch.h), so that the list and the public enum cannot drift apart.
constexpr bool rows_in_enum_order() {
  for (int i = 0; i < (int)(sizeof(kRows) / sizeof(kRows[0])); i++)
    if (kRows[i].isa != i) return false;
  return true;
}
static_assert(rows_in_enum_order(), "SJ_ISA_LIST must list the ISAs in sj_isa order");

#define SJ_FEATURES(id, name, ...) SJ_FEATURES_##name,
const char* const kFeatures[] = {SJ_ISA_LIST(SJ_FEATURES)};
#undef SJ_FEATURES

constexpr int kCount = sizeof(kRows) / sizeof(kRows[0]);

// Whether the CPU has one feature of a target string. __builtin_cpu_supports also checks that the OS saves the
// wider register state (XCR0); it takes only literals, hence one line per feature the list may name.
bool cpu_has(const std::string& f) {
  __builtin_cpu_init();
#define SJ_HAS(x) if (f == x) return __builtin_cpu_supports(x)
  SJ_HAS("sse2"); SJ_HAS("sse4.2"); SJ_HAS("avx"); SJ_HAS("avx2"); SJ_HAS("fma"); SJ_HAS("f16c");
  SJ_HAS("bmi"); SJ_HAS("bmi2"); SJ_HAS("popcnt");
  SJ_HAS("avx512f"); SJ_HAS("avx512bw"); SJ_HAS("avx512vl"); SJ_HAS("avx512dq");
  SJ_HAS("avx512vnni"); SJ_HAS("avx512vbmi"); SJ_HAS("avx512vbmi2"); SJ_HAS("avx512bf16");
#undef SJ_HAS
  return false;  // a feature this probe does not know: never assume it
}

// Calls fn on each feature of a comma-separated target string; false as soon as fn returns false.
template <class Fn>
bool each_feature(const char* features, Fn fn) {
  std::string s(features);
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start && !fn(s.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

int detect_isa() {
  int best = SJ_ISA_SCALAR;
  for (int i = 0; i < kCount; i++)
    if (each_feature(kFeatures[i], cpu_has)) best = i;  // each ISA's features contain the one's before it
  return best;
}

// The features of every ISA in the list that this CPU has, in list order, for `sparsej info`.
std::string feature_list() {
  std::string s;
  for (int i = 0; i < kCount; i++) {
    each_feature(kFeatures[i], [&](const std::string& f) {
      if (cpu_has(f) && ("," + s + ",").find("," + f + ",") == std::string::npos) s += (s.empty() ? "" : ",") + f;
      return true;
    });
  }
  return s;
}

const int kDetected = detect_isa();
std::atomic<const sj::IsaKernels*> g_active{&kRows[kDetected]};
std::atomic<int> g_threads{0};

}  // namespace

namespace sj {
const IsaKernels& kernels() { return *g_active.load(std::memory_order_relaxed); }
}  // namespace sj

extern "C" {

int sj_isa_detected(void) { return kDetected; }
int sj_isa_active(void) { return sj::kernels().isa; }
int sj_isa_count(void) { return kCount; }

int sj_isa_select(int isa) {
  if (isa < SJ_ISA_SCALAR || isa > kDetected) return -1;
  g_active.store(&kRows[isa]);
  return isa;
}

const char* sj_isa_name(int isa) { return isa >= 0 && isa < kCount ? kRows[isa].name : "unknown"; }

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
