// The C API of libsparsej_cuda.so: device memory, prepared weights and the Llama ops on one CUDA stream.
//
// Every pointer named d_* is a device address (what sjc_malloc returns, or an offset into it), passed as an
// integer so the JNI glue (org.sparsej.nativeops.SparsejCuda) stays trivial. Activations are F32 on the device;
// weights are stored FP16 or BF16 and multiplied with FP32 accumulation. Calls return 0, or -1 with the reason
// in sjc_last_error(); callers (CudaBackend, cuda/test) check shapes before they call.
//
// Built from cuda/src/*.cu by nvcc when CMake finds it; otherwise from cuda/src/no_cuda.cpp, where every call
// fails and sjc_unavailable_reason() says that the build had no nvcc.
#pragma once
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

// Null when a CUDA device can run the kernels, else one line: no driver, no device, too old a device.
const char* sjc_unavailable_reason(void);
// The device in words ("NVIDIA H200, sm_90, 139 GiB"); call only when sjc_unavailable_reason() is null.
const char* sjc_describe(void);
// Null when cuBLAS resp. cuSPARSELt were opened (dlopen), else one line naming the library that is missing.
const char* sjc_cublas_reason(void);
const char* sjc_cusparselt_reason(void);
const char* sjc_cusparselt_version(void);  // "0.6.2" once cuSPARSELt loaded, else ""
// The reason of the last failed call on this thread.
const char* sjc_last_error(void);

// Zero-filled device memory; 0 on failure.
int64_t sjc_malloc(int64_t bytes);
int sjc_free(int64_t d_ptr);
int sjc_upload(int64_t d_dst, const void* src, int64_t bytes);    // waits until the copy is done
int sjc_download(void* dst, int64_t d_src, int64_t bytes);        // waits for every queued op, then copies
int sjc_copy(int64_t d_dst, int64_t d_src, int64_t bytes);        // device to device, queued
int sjc_synchronize(void);

// Weights. A weight handle owns its device memory; sjc_weight_free releases it.
// dtype of the stored values: 0 = FP16, 1 = BF16. dense_f32 rounds [rows][cols] floats to that dtype;
// dense_half uploads [rows][cols] 16-bit values as they are.
#define SJC_F16 0
#define SJC_BF16 1
int64_t sjc_weight_dense_f32(const float* w, int rows, int cols, int dtype);
int64_t sjc_weight_dense_half(const uint16_t* w, int rows, int cols, int dtype);
// A 2:4 weight (at most 2 non-zeros in each group of 4 columns), given dense as F32 and stored FP16.
// path: 1 = cuSPARSELt (compressed at prepare), 2 = own mma.sp kernel layout. 0 on failure (e.g. cuSPARSELt
// missing or the shape unsupported: the reason in sjc_last_error()).
#define SJC_PATH_CUSPARSELT 1
#define SJC_PATH_MMA_SP 2
int64_t sjc_weight_sparse24(const float* w, int rows, int cols, int path);
int sjc_weight_free(int64_t weight);
// "cublas-f16", "cusparselt-2:4-f16" or "mma.sp-2:4-f16".
const char* sjc_weight_kind(int64_t weight);
// d_out [batch][rows] = d_x [batch][cols] · Wᵀ.
int sjc_matmul(int64_t d_out, int64_t d_x, int64_t weight, int batch);

// The Llama ops, with the semantics of org.sparsej.backend.Backend (JavaBackend is the oracle).
int sjc_rmsnorm(int64_t d_out, int64_t d_x, int64_t d_weight, int batch, int dim, float eps);
// style: 0 = interleaved pairs (2i, 2i+1), 1 = halves (i, i + headSize/2), as RopeStyle's ordinals.
// d_freqs: [headSize/2] rotation frequency per pair; rotated values are multiplied by scale.
int sjc_rope(int64_t d_q, int64_t d_k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size,
             int64_t d_freqs, float scale, int style);
int sjc_softmax(int64_t d_x, int n);
int sjc_swiglu(int64_t d_h1, int64_t d_h3, int64_t n);
int sjc_add(int64_t d_x, int64_t d_y, int64_t n);
// d_out [count][dim] = d_table [vocab][dim] rows d_tokens[0 .. count) (int32, checked by the caller).
int sjc_embedding(int64_t d_out, int64_t d_table, int64_t d_tokens, int count, int dim);
// F32 <-> FP16/BF16 over n values.
int sjc_to_half(int64_t d_dst, int64_t d_src, int64_t n, int dtype);
int sjc_from_half(int64_t d_dst, int64_t d_src, int64_t n, int dtype);

// Paged KV cache, laid out as native/include/sparsej/attention_paged.h says; d_table holds that header's
// segments [n][4] int32 followed (at d_table + 16 n) by the page base addresses (int64, device addresses);
// rows: the pass's token rows, which the segments cover. head_size <= 256.
int sjc_kv_write(int64_t d_k, int64_t d_v, int rows, int n_segments, int64_t d_table, int page_tokens, int64_t key_offset,
                 int64_t value_offset, int kv_dim);
int sjc_attention_paged(int64_t d_out, int64_t d_q, int rows, int n_segments, int64_t d_table, int page_tokens,
                        int64_t key_offset, int64_t value_offset, int n_heads, int n_kv_heads, int head_size,
                        int window);

// Host-side packing of the own 2:4 kernel's layout (exposed for cuda/test): see cuda/src/sparse24_mma.cu.
// values: [rows/16][cols/32][32 lanes][8] FP16, meta: [rows/16][cols/32][16] uint32 (rows, cols padded).
int sjc_pack_sparse24(const float* w, int rows, int cols, uint16_t* values, uint32_t* meta);
int64_t sjc_pack_sparse24_values(int rows, int cols);  // FP16 values the packed layout holds
int64_t sjc_pack_sparse24_meta(int rows, int cols);    // uint32 metadata words

#ifdef __cplusplus
}
#endif
