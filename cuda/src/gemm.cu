// Prepared weights and sjc_matmul: dense FP16/BF16 through cuBLAS (cublasGemmEx, FP32 compute), 2:4 FP16 through
// cuSPARSELt (compressed once at prepare) or the own mma.sp kernel (sparse24_mma.cu). Activations arrive F32 and
// are rounded to the weight's 16-bit type in a scratch buffer first: tensor cores take both operands 16-bit.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "libs.h"
#include "sparse24_mma.h"
#include "sparsej_cuda/sparsej_cuda.h"

using sjc::dev;

namespace {

// One cuSPARSELt plan per padded batch size (plans fix every shape); the compressed weight serves them all.
struct LtPlan {
  sjc::LtOpaque a, b, c, desc, sel, plan;
  void* workspace = nullptr;
};

struct Weight {
  int path = 0;  // 0 = cuBLAS dense, SJC_PATH_CUSPARSELT, SJC_PATH_MMA_SP
  int rows = 0, cols = 0, dtype = SJC_F16;
  int rows_padded = 0, cols_padded = 0;  // cuSPARSELt: multiples of 64
  void* values = nullptr;                // dense [rows][cols], cuSPARSELt compressed, or the mma.sp layout
  uint32_t* meta = nullptr;              // mma.sp metadata
  std::map<int, std::unique_ptr<LtPlan>> plans;
  ~Weight() {
    cudaFree(values);
    cudaFree(meta);
    for (auto& p : plans) {
      sjc::CusparseLt& lt = sjc::cusparselt();
      lt.plan_destroy(&p.second->plan);
      if (lt.alg_selection_destroy != nullptr) lt.alg_selection_destroy(&p.second->sel);
      for (auto* d : {&p.second->a, &p.second->b, &p.second->c}) lt.descriptor_destroy(d);
      cudaFree(p.second->workspace);
    }
  }
};

// Grows on demand; used only on the one stream, so consecutive matmuls may share it.
struct Scratch {
  void* p = nullptr;
  size_t bytes = 0;
  void* get(size_t need) {
    if (need > bytes) {
      cudaStreamSynchronize(sjc::stream());
      cudaFree(p);
      p = nullptr;
      bytes = 0;
      if (cudaMalloc(&p, need) != cudaSuccess) return nullptr;
      bytes = need;
    }
    return p;
  }
};
Scratch x_half, out_half;

thread_local std::string kind_text;

// x [batch][cols] F32 -> dst [batch_padded][cols_padded] 16-bit, zero in the padding.
__global__ void pad_to_half_kernel(uint16_t* dst, const float* x, int batch, int cols, int batch_padded,
                                   int cols_padded, int dtype) {
  const long long n = (long long)batch_padded * cols_padded;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const int b = (int)(i / cols_padded), c = (int)(i % cols_padded);
    const float v = b < batch && c < cols ? x[(size_t)b * cols + c] : 0.0f;
    if (dtype == SJC_BF16) {
      __nv_bfloat16 h = __float2bfloat16_rn(v);
      dst[i] = *reinterpret_cast<uint16_t*>(&h);
    } else {
      __half h = __float2half_rn(v);
      dst[i] = *reinterpret_cast<uint16_t*>(&h);
    }
  }
}

// cuSPARSELt's column-major [rows_padded][batch_padded] FP16 output -> out [batch][rows] F32.
__global__ void unpad_from_half_kernel(float* out, const __half* c, int batch, int rows, int rows_padded) {
  const long long n = (long long)batch * rows;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const int b = (int)(i / rows), r = (int)(i % rows);
    out[i] = __half2float(c[(size_t)b * rows_padded + r]);
  }
}

int to_half(void* dst, int64_t d_x, int batch, int cols, int batch_padded, int cols_padded, int dtype) {
  const long long n = (long long)batch_padded * cols_padded;
  pad_to_half_kernel<<<sjc::blocks_for(n, 256), 256, 0, sjc::stream()>>>(
      static_cast<uint16_t*>(dst), dev<float>(d_x), batch, cols, batch_padded, cols_padded, dtype);
  return sjc::launched("matmul input to 16-bit");
}

int64_t upload_dense(const uint16_t* host, int rows, int cols, int dtype) {
  auto w = std::make_unique<Weight>();
  w->rows = rows;
  w->cols = cols;
  w->dtype = dtype;
  const size_t bytes = (size_t)rows * cols * 2;
  if (sjc::check(cudaMalloc(&w->values, bytes), "weight cudaMalloc") != 0 ||
      sjc::check(cudaMemcpy(w->values, host, bytes, cudaMemcpyHostToDevice), "weight upload") != 0)
    return 0;
  return (int64_t)(intptr_t)w.release();
}

uint16_t f16_bits(float v) {
  __half h = __float2half_rn(v);
  return *reinterpret_cast<uint16_t*>(&h);
}

uint16_t bf16_bits(float v) {
  __nv_bfloat16 h = __float2bfloat16_rn(v);
  return *reinterpret_cast<uint16_t*>(&h);
}

int lt_status(int status, const char* what) {
  return status == 0 ? 0 : sjc::fail(std::string("cuSPARSELt ") + what + " failed (status " + std::to_string(status) + ")");
}

// The plan for batch_padded columns of B, made on first use.
LtPlan* lt_plan(Weight& w, int batch_padded) {
  auto found = w.plans.find(batch_padded);
  if (found != w.plans.end()) return found->second.get();
  sjc::CusparseLt& lt = sjc::cusparselt();
  auto p = std::make_unique<LtPlan>();
  // C (col-major rows x batch) = A (row-major rows x cols, 2:4) * B (col-major cols x batch): out row-major.
  if (lt_status(lt.structured_descriptor(&lt.handle, &p->a, w.rows_padded, w.cols_padded, w.cols_padded, 16,
                                         CUDA_R_16F, sjc::CUSPARSE_ORDER_ROW,
                                         sjc::CUSPARSELT_SPARSITY_50_PERCENT), "structured descriptor") ||
      lt_status(lt.dense_descriptor(&lt.handle, &p->b, w.cols_padded, batch_padded, w.cols_padded, 16,
                                    CUDA_R_16F, sjc::CUSPARSE_ORDER_COL), "dense descriptor B") ||
      lt_status(lt.dense_descriptor(&lt.handle, &p->c, w.rows_padded, batch_padded, w.rows_padded, 16,
                                    CUDA_R_16F, sjc::CUSPARSE_ORDER_COL), "dense descriptor C") ||
      lt_status(lt.matmul_descriptor(&lt.handle, &p->desc, sjc::CUSPARSE_OPERATION_NON_TRANSPOSE,
                                     sjc::CUSPARSE_OPERATION_NON_TRANSPOSE, &p->a, &p->b, &p->c, &p->c,
                                     sjc::CUSPARSE_COMPUTE_32F), "matmul descriptor") ||
      lt_status(lt.alg_selection(&lt.handle, &p->sel, &p->desc, sjc::CUSPARSELT_MATMUL_ALG_DEFAULT),
                "algorithm selection") ||
      lt_status(lt.plan_init(&lt.handle, &p->plan, &p->desc, &p->sel), "plan"))
    return nullptr;
  size_t workspace = 0;
  if (lt_status(lt.workspace(&lt.handle, &p->plan, &workspace), "workspace") ||
      (workspace > 0 && sjc::check(cudaMalloc(&p->workspace, workspace), "cuSPARSELt workspace") != 0))
    return nullptr;
  LtPlan* plan = p.get();
  w.plans[batch_padded] = std::move(p);
  return plan;
}

int64_t prepare_cusparselt(const float* host, int rows, int cols) {
  if (const char* r = sjc::cusparselt().reason()) {
    sjc::fail(r);
    return 0;
  }
  auto w = std::make_unique<Weight>();
  w->path = SJC_PATH_CUSPARSELT;
  w->rows = rows;
  w->cols = cols;
  w->rows_padded = (rows + 63) / 64 * 64;
  w->cols_padded = (cols + 63) / 64 * 64;
  std::vector<uint16_t> dense((size_t)w->rows_padded * w->cols_padded, 0);  // zeros keep the padding 2:4
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dense[(size_t)r * w->cols_padded + c] = f16_bits(host[(size_t)r * cols + c]);
  LtPlan* plan = lt_plan(*w, 16);
  if (plan == nullptr) return 0;
  sjc::CusparseLt& lt = sjc::cusparselt();
  size_t compressed = 0, buffer = 0;
  void *d_dense = nullptr, *d_buffer = nullptr;
  int status = lt_status(lt.compressed_size2(&lt.handle, &plan->a, &compressed, &buffer), "compressed size");
  if (status == 0) status = sjc::check(cudaMalloc(&d_dense, dense.size() * 2), "cudaMalloc");
  if (status == 0) status = sjc::check(cudaMalloc(&w->values, compressed), "cudaMalloc");
  if (status == 0 && buffer > 0) status = sjc::check(cudaMalloc(&d_buffer, buffer), "cudaMalloc");
  if (status == 0)
    status = sjc::check(cudaMemcpy(d_dense, dense.data(), dense.size() * 2, cudaMemcpyHostToDevice), "upload");
  if (status == 0)
    status = lt_status(lt.compress2(&lt.handle, &plan->a, 1, sjc::CUSPARSE_OPERATION_NON_TRANSPOSE, d_dense, w->values,
                                    d_buffer, sjc::stream()),
                       "compress");
  if (status == 0) status = sjc::check(cudaStreamSynchronize(sjc::stream()), "compress");
  cudaFree(d_dense);
  cudaFree(d_buffer);
  return status == 0 ? (int64_t)(intptr_t)w.release() : 0;
}

int64_t prepare_mma_sp(const float* host, int rows, int cols) {
  auto w = std::make_unique<Weight>();
  w->path = SJC_PATH_MMA_SP;
  w->rows = rows;
  w->cols = cols;
  std::vector<uint16_t> values(sjc_pack_sparse24_values(rows, cols));
  std::vector<uint32_t> meta(sjc_pack_sparse24_meta(rows, cols));
  if (sjc_pack_sparse24(host, rows, cols, values.data(), meta.data()) != 0) return 0;
  if (sjc::check(cudaMalloc(&w->values, values.size() * 2), "cudaMalloc") != 0 ||
      sjc::check(cudaMalloc(&w->meta, meta.size() * 4), "cudaMalloc") != 0 ||
      sjc::check(cudaMemcpy(w->values, values.data(), values.size() * 2, cudaMemcpyHostToDevice), "upload") != 0 ||
      sjc::check(cudaMemcpy(w->meta, meta.data(), meta.size() * 4, cudaMemcpyHostToDevice), "upload") != 0)
    return 0;
  return (int64_t)(intptr_t)w.release();
}

int matmul_cublas(const Weight& w, int64_t d_out, int64_t d_x, int batch) {
  const sjc::Cublas& blas = sjc::cublas();
  if (blas.reason() != nullptr) return sjc::fail(blas.reason());
  void* xh = x_half.get((size_t)batch * w.cols * 2);
  if (xh == nullptr) return sjc::fail("matmul: out of device memory for the input");
  if (to_half(xh, d_x, batch, w.cols, batch, w.cols, w.dtype) != 0) return -1;
  const float alpha = 1.0f, beta = 0.0f;
  const int type = w.dtype == SJC_BF16 ? CUDA_R_16BF : CUDA_R_16F;
  // Column-major view: out (rows x batch) = Wᵀ' (W stored row-major is cols x rows) * x (cols x batch).
  const int status = blas.gemm_ex(blas.handle, sjc::CUBLAS_OP_T, sjc::CUBLAS_OP_N, w.rows, batch, w.cols, &alpha,
                                  w.values, type, w.cols, xh, type, w.cols, &beta, dev<void>(d_out), CUDA_R_32F,
                                  w.rows, sjc::CUBLAS_COMPUTE_32F, sjc::CUBLAS_GEMM_DEFAULT);
  return status == 0 ? 0 : sjc::fail("cublasGemmEx failed (status " + std::to_string(status) + ")");
}

int matmul_cusparselt(Weight& w, int64_t d_out, int64_t d_x, int batch) {
  const int batch_padded = (batch + 15) / 16 * 16;
  LtPlan* plan = lt_plan(w, batch_padded);
  if (plan == nullptr) return -1;
  void* xh = x_half.get((size_t)batch_padded * w.cols_padded * 2);
  void* c = out_half.get((size_t)batch_padded * w.rows_padded * 2);
  if (xh == nullptr || c == nullptr) return sjc::fail("matmul: out of device memory for cuSPARSELt");
  if (to_half(xh, d_x, batch, w.cols, batch_padded, w.cols_padded, SJC_F16) != 0) return -1;
  const float alpha = 1.0f, beta = 0.0f;
  cudaStream_t s = sjc::stream();
  sjc::CusparseLt& lt = sjc::cusparselt();
  if (lt_status(lt.matmul(&lt.handle, &plan->plan, &alpha, w.values, xh, &beta, c, c, plan->workspace, &s, 1),
                "matmul"))
    return -1;
  const long long n = (long long)batch * w.rows;
  unpad_from_half_kernel<<<sjc::blocks_for(n, 256), 256, 0, s>>>(dev<float>(d_out), static_cast<__half*>(c), batch,
                                                                 w.rows, w.rows_padded);
  return sjc::launched("cuSPARSELt output to f32");
}

}  // namespace

extern "C" {

int64_t sjc_weight_dense_f32(const float* host, int rows, int cols, int dtype) {
  std::vector<uint16_t> half((size_t)rows * cols);
  for (size_t i = 0; i < half.size(); i++) half[i] = dtype == SJC_BF16 ? bf16_bits(host[i]) : f16_bits(host[i]);
  return upload_dense(half.data(), rows, cols, dtype);
}

int64_t sjc_weight_dense_half(const uint16_t* host, int rows, int cols, int dtype) {
  return upload_dense(host, rows, cols, dtype);
}

int64_t sjc_weight_sparse24(const float* host, int rows, int cols, int path) {
  if (sjc_unavailable_reason() != nullptr) {
    sjc::fail(sjc_unavailable_reason());
    return 0;
  }
  if (path == SJC_PATH_CUSPARSELT) return prepare_cusparselt(host, rows, cols);
  if (path == SJC_PATH_MMA_SP) return prepare_mma_sp(host, rows, cols);
  sjc::fail("unknown 2:4 path " + std::to_string(path));
  return 0;
}

int sjc_weight_free(int64_t weight) {
  delete reinterpret_cast<Weight*>(static_cast<intptr_t>(weight));
  return 0;
}

const char* sjc_weight_kind(int64_t weight) {
  const Weight& w = *reinterpret_cast<Weight*>(static_cast<intptr_t>(weight));
  kind_text = w.path == SJC_PATH_CUSPARSELT ? "cusparselt-2:4-f16"
              : w.path == SJC_PATH_MMA_SP   ? "mma.sp-2:4-f16"
              : w.dtype == SJC_BF16         ? "cublas-bf16"
                                            : "cublas-f16";
  return kind_text.c_str();
}

int sjc_matmul(int64_t d_out, int64_t d_x, int64_t weight, int batch) {
  if (batch <= 0) return 0;
  Weight& w = *reinterpret_cast<Weight*>(static_cast<intptr_t>(weight));
  switch (w.path) {
    case SJC_PATH_CUSPARSELT: return matmul_cusparselt(w, d_out, d_x, batch);
    case SJC_PATH_MMA_SP:
      return sjc::sparse24_mma(dev<float>(d_out), dev<float>(d_x), static_cast<const uint4*>(w.values), w.meta,
                               w.rows, w.cols, batch);
    default: return matmul_cublas(w, d_out, d_x, batch);
  }
}

}  // extern "C"
