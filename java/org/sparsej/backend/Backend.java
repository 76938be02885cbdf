package org.sparsej.backend;

import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/**
 * The operations a Llama forward pass needs, on F32 activations laid out one row per token.
 * Implementations: {@link JavaBackend} (plain Java, the test oracle), {@link CpuBackend} (native kernels),
 * {@link CudaBackend}. Callers pass tensors at least as large as the shapes named here; implementations check
 * sizes before any native code runs.
 *
 * <p>Memory: the backend owns what the forward pass works on. Activations and KV-cache pages come from
 * {@link #allocate}, weights go through {@link #prepare} once before use, and the model reads results (the
 * logits it samples from) only through {@link #copyToHost}; every other op takes tensors that this backend
 * allocated or prepared. So a device backend keeps everything resident on the device and the model code does not
 * change. On the Java and cpu backends that memory is ordinary off-heap host memory and prepare is the identity.
 */
public interface Backend extends AutoCloseable {
  /** "java", "cpu" or "cuda". */
  String name();

  /** One line for logs: the backend and how it runs (ISA, threads, device). */
  String describe();

  /** A zero-filled tensor in this backend's memory (activations, KV pages). */
  default Tensor allocate(DType dtype, int... shape) {
    return Tensor.allocate(dtype, shape);
  }

  /** Gives memory from {@link #allocate} back; the tensor must not be used afterwards. No-op on host backends. */
  default void free(Tensor t) {}

  /**
   * The weight as this backend runs it, made once before the first pass (a device backend uploads it here).
   * The identity on host backends.
   */
  default LinearWeight prepare(LinearWeight w) {
    return w;
  }

  /** A norm or embedding table in this backend's memory, made once like {@link #prepare(LinearWeight)}. */
  default Tensor prepare(Tensor t) {
    return t;
  }

  /** Copies {@code count} floats of a backend tensor, from element srcOffset, into host memory. */
  default void copyToHost(Tensor src, long srcOffset, float[] dst, int dstOffset, int count) {
    src.requireSize("copyToHost", srcOffset + count);
    java.nio.FloatBuffer f = src.floats();
    f.position(Math.toIntExact(srcOffset));
    f.get(dst, dstOffset, count);
  }

  /** dst[dstOffset ..] = src[srcOffset ..] over {@code count} floats, both in this backend's memory. */
  default void copy(Tensor dst, long dstOffset, Tensor src, long srcOffset, long count) {
    dst.requireSize("copy dst", dstOffset + count);
    src.requireSize("copy src", srcOffset + count);
    dst.view(dstOffset, Math.toIntExact(count)).bytes().put(src.view(srcOffset, Math.toIntExact(count)).bytes());
  }

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

  /**
   * Rotates as {@link #rope(Tensor, Tensor, int, int, int, int, int, float, RopeStyle)} with each pair's rotation
   * frequency given ({@code frequencies} [headSize/2], already scaled: RoPE scaling), and multiplies the rotated
   * values by {@code scale} (yarn's attention factor; 1 otherwise).
   */
  void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float[] frequencies,
            float scale, RopeStyle style);

  /** In-place softmax over the first n values. */
  void softmax(Tensor x, int n);

  /**
   * Causal grouped-query attention. q and out: [batch][nHeads·headSize]; keyCache and valueCache: [seq][nKvHeads·headSize]
   * holding positions 0 .. pos0+batch-1. Row b attends to positions 0 .. pos0+b.
   */
  void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                 int nKvHeads, int headSize);

  /**
   * Stores this pass's keys and values in the KV pages: row r of k and v [rows][kvDim] (r in segment s, at
   * position pos0(s) + r - row0(s)) goes to that position of layer {@code layer} in the segment's pages.
   */
  default void writeKv(PagedKv kv, int layer, Tensor k, Tensor v) {
    Shapes.checkWriteKv(kv, layer, k, v);
    int kvDim = kv.kvDim();
    for (int s = 0; s < kv.segments(); s++) {
      for (int i = 0; i < kv.rows(s); i++) {
        int pos = kv.pos0(s) + i;
        long row = (long) (kv.row0(s) + i) * kvDim;
        Tensor page = kv.page(s, pos);
        copy(page, kv.keyOffset(layer, pos), k, row, kvDim);
        copy(page, kv.valueOffset(layer, pos), v, row, kvDim);
      }
    }
  }

  /**
   * Causal grouped-query attention of every segment against its own sequence's KV pages in {@code layer}: q and
   * out [totalRows][nHeads·headSize]; row r of segment s attends to positions 0 .. pos0(s) + r - row0(s), which
   * {@link #writeKv} has stored. The same arithmetic as {@link #attention}, row for row.
   */
  default void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads, int headSize) {
    pagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize, 0);
  }

  /**
   * As {@link #pagedAttention(Tensor, Tensor, PagedKv, int, int, int, int)}, each row attending only to its last
   * {@code window} positions (itself included) when window &gt; 0: Mistral's sliding-window attention.
   */
  void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads, int headSize,
                      int window);

  /** SwiGLU gate: h1 = silu(h1) · h3 over n values. */
  void swiglu(Tensor h1, Tensor h3, long n);

  /** Residual: x += y over n values. */
  void add(Tensor x, Tensor y, long n);

  /** out[i] = table[tokens[i]] for an F32 embedding table [vocab][dim] (the table as {@link #prepare(Tensor)} made it). */
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
