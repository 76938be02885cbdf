// Shared by the .cu files of libsparsej_cuda: the one stream, error reporting, launch checks.
#pragma once
#include <cuda_runtime.h>

#include <string>

namespace sjc {

// The stream every op, copy and library call of this library is queued on (made at first use).
cudaStream_t stream();
// Records the reason of a failed call for sjc_last_error(); returns -1 so callers can `return fail(...)`.
int fail(const std::string& why);
// -1 with the CUDA error's name when e is not cudaSuccess, else 0.
int check(cudaError_t e, const char* what);
// After a kernel launch: the launch error, if any.
inline int launched(const char* what) { return check(cudaGetLastError(), what); }
// Blocks of `threads` covering n items, capped so huge n loops inside the kernel (grid-stride).
inline unsigned blocks_for(long long n, int threads) {
  long long b = (n + threads - 1) / threads;
  return (unsigned)(b < 1 ? 1 : (b > 65535 * 16 ? 65535 * 16 : b));
}

template <typename T>
inline T* dev(long long address) {
  return reinterpret_cast<T*>(static_cast<intptr_t>(address));
}

}  // namespace sjc
