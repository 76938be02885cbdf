// The non-matmul operations of a Llama forward pass. All tensors are row-major F32, one row per token.
#pragma once
#ifdef __cplusplus
extern "C" {
#endif

enum sj_rope_style {
  SJ_ROPE_INTERLEAVED = 0,  // pairs (2i, 2i+1) inside each head: llama2.c / GGUF layout
  SJ_ROPE_HALF = 1          // pairs (i, i + head_size/2): Hugging Face "rotate_half" layout
};

// out[b] = x[b] / rms(x[b]) * weight, per row of dim values.
void sj_rmsnorm(float* out, const float* x, const float* weight, int batch, int dim, float eps);

// Rotates q [batch][n_heads*head_size] and k [batch][n_kv_heads*head_size] in place; row b is at position pos0 + b.
void sj_rope(float* q, float* k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size,
             float theta, int style);

// As sj_rope with each pair's frequency given (freqs [head_size/2], RoPE scaling already applied) and the
// rotated values multiplied by scale (yarn's attention factor; 1 otherwise).
void sj_rope_freqs(float* q, float* k, int batch, int pos0, int n_heads, int n_kv_heads, int head_size,
                   const float* freqs, float scale, int style);

// In-place softmax over n values (the one paged attention applies to each row's scores).
void sj_softmax(float* x, int n);

// y[i] = e^x[i] for i < n (y may be x): the vector exp of the softmax, within 2 ulp of the correctly rounded value;
// -inf gives 0, +inf gives +inf, NaN stays NaN.
void sj_exp_f32(float* y, const float* x, long n);

// Causal grouped-query attention against a KV cache.
// q: [batch][n_heads*head_size]; key_cache, value_cache: [max_seq][n_kv_heads*head_size], already holding
// positions 0 .. pos0+batch-1; out: [batch][n_heads*head_size]. Row b attends to positions 0 .. pos0+b.
void sj_attention(float* out, const float* q, const float* key_cache, const float* value_cache,
                  int batch, int pos0, int n_heads, int n_kv_heads, int head_size);

// SwiGLU gate: h1[i] = silu(h1[i]) * h3[i] for i < n.
void sj_swiglu(float* h1, const float* h3, long n);

// Residual add: x[i] += y[i] for i < n.
void sj_add(float* x, const float* y, long n);

#ifdef __cplusplus
}
#endif
