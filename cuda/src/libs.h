// cuBLAS and cuSPARSELt, opened at run time (dlopen): this build machine has neither's headers nor libraries,
// and a missing library must be one line of `sparsej info`, never a load failure. Only the few entry points
// SparseJ calls are declared, checked against the released headers (cublas_api.h of CUDA 12/13, cusparse.h,
// cusparseLt.h 0.1 to 0.8 as vendored in public repositories; docs/cuda.md lists each value and its source).
// cudaDataType and libraryPropertyType come from the toolkit's own library_types.h, which nvcc ships.
#pragma once
#include <cuda_runtime.h>
#include <library_types.h>
#include <stddef.h>
#include <stdint.h>

#include <string>

namespace sjc {

// cuBLAS (cublas_api.h: cublasOperation_t, cublasComputeType_t, cublasGemmAlgo_t)
using cublasHandle_t = void*;
constexpr int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
constexpr int CUBLAS_COMPUTE_32F = 68;
constexpr int CUBLAS_GEMM_DEFAULT = -1;

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

// cuSPARSELt (cusparseLt.h). The opaque structs are caller-allocated byte arrays whose size changed between
// releases (0.1: 1024 bytes, 0.4: 11024, 0.6.2: 13072; aligned to 16 since 0.8), so one size larger than all.
struct alignas(16) LtOpaque {
  uint8_t data[16384];
};
// cusparseOrder_t and cusparseOperation_t are cuSPARSE's (cusparse.h): the orders count from 1.
constexpr int CUSPARSE_ORDER_COL = 1, CUSPARSE_ORDER_ROW = 2;
constexpr int CUSPARSE_OPERATION_NON_TRANSPOSE = 0;
constexpr int CUSPARSELT_SPARSITY_50_PERCENT = 0;
// cusparseComputeType: 0.6 renumbered it (32I = 0, 16F = 1, 32F = 2; before: 16F = 0, 32I = 1, TF32 = 2), so
// load_cusparselt refuses releases older than kLtMinMinor rather than ask an old one for TF32.
constexpr int CUSPARSE_COMPUTE_32F = 2;
constexpr int kLtMinMinor = 6;
constexpr int CUSPARSELT_MATMUL_ALG_DEFAULT = 0;

struct CusparseLt {
  int (*get_property)(int property, int* value) = nullptr;  // libraryPropertyType: MAJOR_VERSION, MINOR_VERSION
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
  // The *2 forms take the structured matrix's descriptor, not a plan: the compressed weight does not depend on
  // the batch size, so one compression serves every plan (as PyTorch's _cslt_compress relies on).
  int (*compressed_size2)(const LtOpaque* h, const LtOpaque* sparse_mat, size_t* compressed,
                          size_t* buffer) = nullptr;
  int (*compress2)(const LtOpaque* h, const LtOpaque* sparse_mat, int is_sparse_a, int op, const void* dense,
                   void* compressed, void* buffer, cudaStream_t stream) = nullptr;
  int (*matmul)(const LtOpaque* h, const LtOpaque* plan, const void* alpha, const void* a, const void* b,
                const void* beta, const void* c, void* d, void* workspace, cudaStream_t* streams,
                int32_t n_streams) = nullptr;
  int (*plan_destroy)(const LtOpaque* plan) = nullptr;
  int (*descriptor_destroy)(const LtOpaque* mat) = nullptr;
  int (*alg_selection_destroy)(const LtOpaque* sel) = nullptr;  // 0.8+ (must be called there); null before
  LtOpaque handle;
  std::string version;  // "0.6.2", once loaded
  std::string missing;
  const char* reason() const { return missing.empty() ? nullptr : missing.c_str(); }
};

// Opened on first use (after the device probe, since handles need a device); never null.
Cublas& cublas();
CusparseLt& cusparselt();

}  // namespace sjc
