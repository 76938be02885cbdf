// libsparsej_cuda.so as built without nvcc: the same C API (sparsej_cuda.h), every call failing with one
// reason, so the JNI glue links the same way on every build machine and `sparsej info` can say why.
#include "sparsej_cuda/sparsej_cuda.h"

namespace {
const char* const kWhy = "this SparseJ build has no CUDA kernels (nvcc was not found when it was built)";
}

extern "C" {
const char* sjc_unavailable_reason(void) { return kWhy; }
const char* sjc_describe(void) { return ""; }
const char* sjc_cublas_reason(void) { return kWhy; }
const char* sjc_cusparselt_reason(void) { return kWhy; }
const char* sjc_cusparselt_version(void) { return ""; }
const char* sjc_last_error(void) { return kWhy; }
int64_t sjc_malloc(int64_t) { return 0; }
int sjc_free(int64_t) { return -1; }
int sjc_upload(int64_t, const void*, int64_t) { return -1; }
int sjc_download(void*, int64_t, int64_t) { return -1; }
int sjc_copy(int64_t, int64_t, int64_t) { return -1; }
int sjc_synchronize(void) { return -1; }
int64_t sjc_weight_dense_f32(const float*, int, int, int) { return 0; }
int64_t sjc_weight_dense_half(const uint16_t*, int, int, int) { return 0; }
int64_t sjc_weight_sparse24(const float*, int, int, int) { return 0; }
int sjc_weight_free(int64_t) { return -1; }
const char* sjc_weight_kind(int64_t) { return ""; }
int sjc_matmul(int64_t, int64_t, int64_t, int) { return -1; }
int sjc_rmsnorm(int64_t, int64_t, int64_t, int, int, float) { return -1; }
int sjc_rope(int64_t, int64_t, int, int, int, int, int, int64_t, float, int) { return -1; }
int sjc_softmax(int64_t, int) { return -1; }
int sjc_swiglu(int64_t, int64_t, int64_t) { return -1; }
int sjc_add(int64_t, int64_t, int64_t) { return -1; }
int sjc_embedding(int64_t, int64_t, int64_t, int, int) { return -1; }
int sjc_to_half(int64_t, int64_t, int64_t, int) { return -1; }
int sjc_from_half(int64_t, int64_t, int64_t, int) { return -1; }
int sjc_kv_write(int64_t, int64_t, int, int, int64_t, int, int64_t, int64_t, int) { return -1; }
int sjc_attention_paged(int64_t, int64_t, int, int, int64_t, int, int64_t, int64_t, int, int, int, int) { return -1; }
int sjc_pack_sparse24(const float*, int, int, uint16_t*, uint32_t*) { return -1; }
int64_t sjc_pack_sparse24_values(int, int) { return 0; }
int64_t sjc_pack_sparse24_meta(int, int) { return 0; }
}
