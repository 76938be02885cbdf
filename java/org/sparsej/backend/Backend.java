package org.sparsej.backend;

import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/**
 * The operations a Llama forward pass needs, on F32 activations laid out one row per token.
 * Implementations: {@link JavaBackend} (plain Java, the test oracle), {@link CpuBackend} (native kernels),
 * {@link CudaBackend}. Callers pass tensors at least as large as the shapes named here; implementations check
 * sizes before any native code runs.
 */
public interface Backend extends AutoCloseable {
  /** "java", "cpu" or "cuda". */
  String name();

  /** One line for logs: the backend and how it runs (ISA, threads, device). */
  String describe();

  /** out[batch][w.rows] = x[batch][w.cols] · Wᵀ. */
  void matmul(Tensor out, Tensor x, LinearWeight w, int batch);

  /**
   * Several linears that read the same input: outs[i] = x · weights[i]ᵀ (q, k, v after one norm; gate and up).
   * One call lets a backend prepare x once for all of them (W8A8 quantizes it once); by default it loops.
   */
  default void matmulGroup(Tensor[] outs, Tensor x, LinearWeight[] weights, int batch) {
    if (outs.length != weights.length) {
      throw new IllegalArgumentException("matmulGroup: " + outs.length + " outputs for " + weights.length + " weights");
    }
    for (int i = 0; i < weights.length; i++) {
      matmul(outs[i], x, weights[i], batch);
    }
  }

  /** out[b] = x[b] / rms(x[b]) · weight, for rows of {@code dim} values. */
  void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps);

  /** Rotates q [batch][nHeads·headSize] and k [batch][nKvHeads·headSize] in place; row b sits at pos0 + b. */
  void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
            RopeStyle style);

  /** In-place softmax over the first n values. */
  void softmax(Tensor x, int n);

  /**
   * Causal grouped-query attention. q and out: [batch][nHeads·headSize]; keyCache and valueCache: [seq][nKvHeads·headSize]
   * holding positions 0 .. pos0+batch-1. Row b attends to positions 0 .. pos0+b.
   */
  void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                 int nKvHeads, int headSize);

  /** SwiGLU gate: h1 = silu(h1) · h3 over n values. */
  void swiglu(Tensor h1, Tensor h3, long n);

  /** Residual: x += y over n values. */
  void add(Tensor x, Tensor y, long n);

  /** out[i] = table[tokens[i]] for an F32 embedding table [vocab][dim]. */
  default void embedding(Tensor out, Tensor table, int[] tokens, int count) {
    int dim = table.dim(1);
    for (int i = 0; i < count; i++) {
      int token = tokens[i];
      if (token < 0 || token >= table.dim(0)) {
        throw new org.sparsej.util.SparsejException("token id " + token + " outside vocabulary of " + table.dim(0));
      }
      out.view((long) i * dim, dim).bytes().put(table.row(token).bytes());
    }
  }

  @Override
  default void close() {}
}
