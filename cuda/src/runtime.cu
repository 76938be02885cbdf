// Device probing, memory and copies of the C API (sparsej_cuda.h). cudart is linked statically and opens the
// driver (libcuda.so.1) itself at the first call, so this library loads on machines without one and says why.
#include <cstdio>
#include <mutex>
#include <string>

#include "common.h"
#include "libs.h"
#include "sparsej_cuda/sparsej_cuda.h"

namespace {

thread_local std::string last_error;
std::once_flag probe_once;
std::string unavailable;  // empty: usable
std::string description;
cudaStream_t the_stream = nullptr;

void probe() {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e == cudaErrorInsufficientDriver) {  // what cudart says when libcuda.so.1 is absent, too
    unavailable = "no usable NVIDIA driver: libcuda.so.1 is missing or older than CUDA " +
                  std::to_string(CUDART_VERSION / 1000) + " (cudaErrorInsufficientDriver)";
    return;
  }
  if (e != cudaSuccess) {
    unavailable = e == cudaErrorNoDevice ? std::string("no CUDA device (cudaErrorNoDevice)")
                                         : "CUDA cannot start: " + std::string(cudaGetErrorName(e)) + " (" +
                                               cudaGetErrorString(e) + ")";
    return;
  }
  if (count == 0) {
    unavailable = "no CUDA device";
    return;
  }
  cudaDeviceProp p;
  if ((e = cudaGetDeviceProperties(&p, 0)) != cudaSuccess) {
    unavailable = "cudaGetDeviceProperties failed: " + std::string(cudaGetErrorName(e));
    return;
  }
  if (p.major < 8) {  // mma.sp and the FP32-accumulating half tensor cores this build targets: sm_80+
    unavailable = std::string(p.name) + " is sm_" + std::to_string(p.major * 10 + p.minor) +
                  "; this build needs sm_80 or newer";
    return;
  }
  if ((e = cudaStreamCreateWithFlags(&the_stream, cudaStreamNonBlocking)) != cudaSuccess) {
    unavailable = "cudaStreamCreate failed: " + std::string(cudaGetErrorName(e));
    return;
  }
  char line[256];
  std::snprintf(line, sizeof line, "%s, sm_%d%d, %.0f GiB, %d SMs", p.name, p.major, p.minor,
                p.totalGlobalMem / 1073741824.0, p.multiProcessorCount);
  description = line;
}

}  // namespace

namespace sjc {

cudaStream_t stream() { return the_stream; }

int fail(const std::string& why) {
  last_error = why;
  return -1;
}

int check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return 0;
  return fail(std::string(what) + ": " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")");
}

}  // namespace sjc

using sjc::check;

extern "C" {

const char* sjc_unavailable_reason(void) {
  std::call_once(probe_once, probe);
  return unavailable.empty() ? nullptr : unavailable.c_str();
}

const char* sjc_describe(void) {
  sjc_unavailable_reason();
  return description.c_str();
}

const char* sjc_last_error(void) { return last_error.c_str(); }

const char* sjc_cublas_reason(void) { return sjc::cublas().reason(); }

const char* sjc_cusparselt_reason(void) { return sjc::cusparselt().reason(); }

const char* sjc_cusparselt_version(void) { return sjc::cusparselt().version.c_str(); }

int64_t sjc_malloc(int64_t bytes) {
  if (sjc_unavailable_reason() != nullptr) {
    sjc::fail(unavailable);
    return 0;
  }
  void* p = nullptr;
  if (check(cudaMalloc(&p, bytes < 1 ? 1 : (size_t)bytes), "cudaMalloc") != 0) return 0;
  if (check(cudaMemsetAsync(p, 0, bytes < 1 ? 1 : (size_t)bytes, the_stream), "cudaMemset") != 0 ||
      check(cudaStreamSynchronize(the_stream), "cudaMemset") != 0) {
    cudaFree(p);
    return 0;
  }
  return (int64_t)(intptr_t)p;
}

int sjc_free(int64_t d_ptr) {
  // cudaFree synchronizes the device, so no queued op can still read this memory.
  return check(cudaFree(sjc::dev<void>(d_ptr)), "cudaFree");
}

int sjc_upload(int64_t d_dst, const void* src, int64_t bytes) {
  if (check(cudaMemcpyAsync(sjc::dev<void>(d_dst), src, (size_t)bytes, cudaMemcpyHostToDevice, the_stream),
            "upload") != 0)
    return -1;
  return check(cudaStreamSynchronize(the_stream), "upload");
}

int sjc_download(void* dst, int64_t d_src, int64_t bytes) {
  if (check(cudaMemcpyAsync(dst, sjc::dev<void>(d_src), (size_t)bytes, cudaMemcpyDeviceToHost, the_stream),
            "download") != 0)
    return -1;
  return check(cudaStreamSynchronize(the_stream), "download");
}

int sjc_copy(int64_t d_dst, int64_t d_src, int64_t bytes) {
  return check(cudaMemcpyAsync(sjc::dev<void>(d_dst), sjc::dev<void>(d_src), (size_t)bytes,
                               cudaMemcpyDeviceToDevice, the_stream),
               "copy");
}

int sjc_synchronize(void) { return check(cudaStreamSynchronize(the_stream), "synchronize"); }

}  // extern "C"
