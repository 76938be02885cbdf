// dlopen of cuBLAS and cuSPARSELt (libs.h says why).
#include "libs.h"

#include <dlfcn.h>

#include <mutex>

#include "common.h"
#include "sparsej_cuda/sparsej_cuda.h"

namespace sjc {
namespace {

void* open_first(const char* const* names, std::string& opened) {
  for (const char* const* n = names; *n != nullptr; n++) {
    if (void* lib = dlopen(*n, RTLD_NOW | RTLD_LOCAL)) {
      opened = *n;
      return lib;
    }
  }
  return nullptr;
}

template <typename F>
bool bind(void* lib, const char* symbol, F& fn, std::string& missing, const std::string& lib_name) {
  fn = reinterpret_cast<F>(dlsym(lib, symbol));
  if (fn == nullptr && missing.empty()) missing = lib_name + " lacks " + symbol;
  return fn != nullptr;
}

void load_cublas(Cublas& c) {
  if (const char* r = sjc_unavailable_reason()) {
    c.missing = r;
    return;
  }
  static const char* const names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so", nullptr};
  std::string name;
  void* lib = open_first(names, name);
  if (lib == nullptr) {
    c.missing = "cuda: libcublas.so.13 not found (nor .so.12); dense GPU matmul unavailable";
    return;
  }
  bind(lib, "cublasCreate_v2", c.create, c.missing, name);
  bind(lib, "cublasSetStream_v2", c.set_stream, c.missing, name);
  bind(lib, "cublasGemmEx", c.gemm_ex, c.missing, name);
  if (!c.missing.empty()) return;
  if (c.create(&c.handle) != 0 || c.set_stream(c.handle, stream()) != 0) {
    c.missing = "cublasCreate failed";
  }
}

void load_cusparselt(CusparseLt& l) {
  if (const char* r = sjc_unavailable_reason()) {
    l.missing = r;
    return;
  }
  static const char* const names[] = {"libcusparseLt.so.0", nullptr};
  std::string name;
  void* lib = open_first(names, name);
  if (lib == nullptr) {
    l.missing = "cuda: libcusparseLt.so.0 not found; 2:4 on GPU unavailable, dense GPU still works";
    return;
  }
  bind(lib, "cusparseLtGetProperty", l.get_property, l.missing, name);
  if (!l.missing.empty()) return;
  int major = -1, minor = -1, patch = -1;
  l.get_property(MAJOR_VERSION, &major);
  l.get_property(MINOR_VERSION, &minor);
  l.get_property(PATCH_LEVEL, &patch);
  l.version = std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
  if (major < 0 || (major == 0 && minor < kLtMinMinor)) {
    l.missing = "cuda: " + name + " is cuSPARSELt " + l.version + ", older than 0." + std::to_string(kLtMinMinor) +
                " (its compute-type numbering differs); 2:4 on GPU unavailable, dense GPU still works";
    return;
  }
  bind(lib, "cusparseLtInit", l.init, l.missing, name);
  bind(lib, "cusparseLtDenseDescriptorInit", l.dense_descriptor, l.missing, name);
  bind(lib, "cusparseLtStructuredDescriptorInit", l.structured_descriptor, l.missing, name);
  bind(lib, "cusparseLtMatmulDescriptorInit", l.matmul_descriptor, l.missing, name);
  bind(lib, "cusparseLtMatmulAlgSelectionInit", l.alg_selection, l.missing, name);
  bind(lib, "cusparseLtMatmulPlanInit", l.plan_init, l.missing, name);
  bind(lib, "cusparseLtMatmulGetWorkspace", l.workspace, l.missing, name);
  bind(lib, "cusparseLtSpMMACompressedSize2", l.compressed_size2, l.missing, name);
  bind(lib, "cusparseLtSpMMACompress2", l.compress2, l.missing, name);
  bind(lib, "cusparseLtMatmul", l.matmul, l.missing, name);
  bind(lib, "cusparseLtMatmulPlanDestroy", l.plan_destroy, l.missing, name);
  bind(lib, "cusparseLtMatDescriptorDestroy", l.descriptor_destroy, l.missing, name);
  if (!l.missing.empty()) return;
  // Optional: 0.8 added it and requires it; earlier releases have nothing to release.
  l.alg_selection_destroy = reinterpret_cast<decltype(l.alg_selection_destroy)>(
      dlsym(lib, "cusparseLtMatmulAlgSelectionDestroy"));
  if (l.init(&l.handle) != 0) l.missing = "cusparseLtInit failed";
}

}  // namespace

Cublas& cublas() {
  static Cublas c;
  static std::once_flag once;
  std::call_once(once, [] { load_cublas(c); });
  return c;
}

CusparseLt& cusparselt() {
  static CusparseLt l;
  static std::once_flag once;
  std::call_once(once, [] { load_cusparselt(l); });
  return l;
}

}  // namespace sjc
