// cuBLAS and cuSPARSELt, opened at run time (dlopen): this build machine has neither's headers nor libraries,
// and a missing library must be one line of `sparsej info`, never a load failure. Only the few entry points
// SparseJ calls are declared, with the types and enum values of NVIDIA's public documentation (cuBLAS 12/13,
// cuSPARSELt 0.6+).
#pragma once
#include <cuda_runtime.h>
#include <stddef.h>
#include <stdint.h>

#include <string>

namespace sjc {

// cuBLAS (cublas_api.h)
using cublasHandle_t = void*;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUBLAS_COMPUTE_32F = 68;
constexpr int CUBLAS_GEMM_DEFAULT = -1;
// cudaDataType (library_types.h)
constexpr int CUDA_R_32F = 0, CUDA_R_16F = 2, CUDA_R_16BF = 14;

struct Cublas {
  int (*create)(cublasHandle_t*) = nullptr;
  int (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  int (*gemm_ex)(cublasHandle_t, int transa, int transb, int m, int n, int k, const void* alpha, const void* a,
                 int a_type, int lda, const void* b, int b_type, int ldb, const void* beta, void* c, int c_type,
                 int ldc, int compute_type, int algo) = nullptr;
  cublasHandle_t handle = nullptr;
  std::string missing;  // empty once loaded and a handle is made
  const char* reason() const { return missing.empty() ? nullptr : missing.c_str(); }
};

// cuSPARSELt (cusparseLt.h). The opaque structs are caller-allocated; 1024 bytes covers every release's size.
struct alignas(16) LtOpaque {
  uint8_t data[1024];
};
constexpr int CUSPARSE_ORDER_COL = 0, CUSPARSE_ORDER_ROW = 1;
constexpr int CUSPARSE_OPERATION_NON_TRANSPOSE = 0;
constexpr int CUSPARSELT_SPARSITY_50_PERCENT = 0;
constexpr int CUSPARSE_COMPUTE_32F = 2;  // cuSPARSELt 0.6+ numbering
constexpr int CUSPARSELT_MATMUL_ALG_DEFAULT = 0;

struct CusparseLt {
  int (*init)(LtOpaque* handle) = nullptr;
  int (*dense_descriptor)(const LtOpaque* h, LtOpaque* mat, int64_t rows, int64_t cols, int64_t ld,
                          uint32_t alignment, int value_type, int order) = nullptr;
  int (*structured_descriptor)(const LtOpaque* h, LtOpaque* mat, int64_t rows, int64_t cols, int64_t ld,
                               uint32_t alignment, int value_type, int order, int sparsity) = nullptr;
  int (*matmul_descriptor)(const LtOpaque* h, LtOpaque* desc, int op_a, int op_b, const LtOpaque* a,
                           const LtOpaque* b, const LtOpaque* c, const LtOpaque* d, int compute) = nullptr;
  int (*alg_selection)(const LtOpaque* h, LtOpaque* sel, const LtOpaque* desc, int alg) = nullptr;
  int (*plan_init)(const LtOpaque* h, LtOpaque* plan, const LtOpaque* desc, const LtOpaque* sel) = nullptr;
  int (*workspace)(const LtOpaque* h, const LtOpaque* plan, size_t* bytes) = nullptr;
  int (*compressed_size)(const LtOpaque* h, const LtOpaque* plan, size_t* compressed, size_t* buffer) = nullptr;
  int (*compress)(const LtOpaque* h, const LtOpaque* plan, const void* dense, void* compressed, void* buffer,
                  cudaStream_t stream) = nullptr;
  int (*matmul)(const LtOpaque* h, const LtOpaque* plan, const void* alpha, const void* a, const void* b,
                const void* beta, const void* c, void* d, void* workspace, cudaStream_t* streams,
                int32_t n_streams) = nullptr;
  int (*plan_destroy)(const LtOpaque* plan) = nullptr;
  int (*descriptor_destroy)(const LtOpaque* mat) = nullptr;
  LtOpaque handle;
  std::string missing;
  const char* reason() const { return missing.empty() ? nullptr : missing.c_str(); }
};

// Opened on first use (after the device probe, since handles need a device); never null.
Cublas& cublas();
CusparseLt& cusparselt();

}  // namespace sjc
