package org.sparsej.backend;

import java.util.EnumMap;
import java.util.Map;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.DenseInt8Weight;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.DenseHalfWeight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q4_0Weight;
import org.sparsej.weights.Q8_0Weight;
import org.sparsej.weights.Sparse24Weight;
import org.sparsej.weights.WeightFormat;

/** Native C++ kernels (scalar / AVX2 / AVX-512, chosen from CPUID) on the native thread pool. */
public final class CpuBackend implements Backend {
  /** A native matmul on F32 activations. */
  interface Matmul {
    void run(Tensor out, Tensor x, LinearWeight w, int batch);
  }

  /** A native W8A8 matmul on activations already quantized per token. */
  interface W8A8Matmul {
    void run(Tensor out, QuantizedActivations a, LinearWeight w, int batch);
  }

  /**
   * With {@code -Dsparsej.sgemm.min-batch=N} (N > 0), dense F32 batches of at least N tokens run on OpenBLAS
   * sgemm. Off by default: sgemm sums in another order than SparseJ's kernels, so a batched row would no longer
   * equal the row alone bit for bit (BatchRowsIndependentTest), which the engine's determinism rests on; for
   * measuring the two against each other (docs/benchmarks.md, "Prefill"). SparseJ's own blocked batch kernel
   * (dense_tile_impl.h) keeps the decode order and measured 0.86-1.0x sgemm at batch 64 on the Llama-2-7B shapes,
   * 0.53-0.65x at 256, and level with it end to end at 64-token prompts on stories110M.
   */
  static final int SGEMM_MIN_BATCH = sgemmMinBatch();

  private static int sgemmMinBatch() {
    int n = Integer.getInteger("sparsej.sgemm.min-batch", 0);
    if (n <= 0) {
      return Integer.MAX_VALUE;
    }
    try {
      OpenBlasMatmul.setThreads(1);  // loads the library; the constructor sets the real count
      return n;
    } catch (RuntimeException | LinkageError e) {
      return Integer.MAX_VALUE;  // no OpenBLAS here: SparseJ's own kernel at every batch
    }
  }

  // One native matmul per weight format: a new format registers its kernel in one of these.
  private static final Map<WeightFormat, Matmul> MATMULS = new EnumMap<>(WeightFormat.class);
  private static final Map<WeightFormat, W8A8Matmul> W8A8_MATMULS = new EnumMap<>(WeightFormat.class);

  static {
    MATMULS.put(WeightFormat.DENSE_F32, (out, x, w, batch) -> {
      Tensor values = ((DenseF32Weight) w).values();
      if (batch >= SGEMM_MIN_BATCH) {
        OpenBlasMatmul.matmul(OpenBlasMatmul.pointer(out), OpenBlasMatmul.pointer(x), OpenBlasMatmul.pointer(values),
            batch, w.rows(), w.cols());
      } else {
        SparsejNative.sj_matmul_f32(out.address(), x.address(), values.address(), batch, w.rows(), w.cols());
      }
    });
    MATMULS.put(WeightFormat.DENSE_BF16, (out, x, w, batch) -> SparsejNative.sj_matmul_bf16(
        out.address(), x.address(), ((DenseHalfWeight) w).values().address(), batch, w.rows(), w.cols()));
    MATMULS.put(WeightFormat.DENSE_F16, (out, x, w, batch) -> SparsejNative.sj_matmul_f16(
        out.address(), x.address(), ((DenseHalfWeight) w).values().address(), batch, w.rows(), w.cols()));
    MATMULS.put(WeightFormat.Q8_0, (out, x, w, batch) -> SparsejNative.sj_matmul_q8_0(
        out.address(), x.address(), ((Q8_0Weight) w).blocks().address(), batch, w.rows(), w.cols()));
    MATMULS.put(WeightFormat.Q4_0, (out, x, w, batch) -> SparsejNative.sj_matmul_q4_0(
        out.address(), x.address(), ((Q4_0Weight) w).blocks().address(), batch, w.rows(), w.cols()));
    MATMULS.put(WeightFormat.DENSE_W8A16, (out, x, w, batch) -> {
      DenseInt8Weight d = (DenseInt8Weight) w;
      SparsejNative.sj_matmul_w8a16(out.address(), x.address(), d.values().address(), d.scales().address(), batch,
          d.rows(), d.cols());
    });
    MATMULS.put(WeightFormat.SPARSE_BITMASK_F32, (out, x, w, batch) -> {
      BitmaskSparseWeight s = (BitmaskSparseWeight) w;
      SparsejNative.sj_bitmask_matmul_f32(out.address(), x.address(), batch, s.rows(), s.cols(),
          s.bitmask().address(), s.offsets().address(), s.paddedValues().address());
    });
    MATMULS.put(WeightFormat.SPARSE_BITMASK_I8, (out, x, w, batch) -> {
      BitmaskSparseWeight s = (BitmaskSparseWeight) w;
      SparsejNative.sj_bitmask_matmul_i8(out.address(), x.address(), batch, s.rows(), s.cols(),
          s.bitmask().address(), s.offsets().address(), s.paddedValues().address(), s.scales().address());
    });
    MATMULS.put(WeightFormat.SPARSE_24_F32, (out, x, w, batch) -> {
      Sparse24Weight s = (Sparse24Weight) w;
      SparsejNative.sj_sparse24_matmul_f32(out.address(), x.address(), batch, s.rows(), s.cols(),
          s.paddedValues().address(), s.indices().address());
    });
    MATMULS.put(WeightFormat.SPARSE_24_I8, (out, x, w, batch) -> {
      Sparse24Weight s = (Sparse24Weight) w;
      SparsejNative.sj_sparse24_matmul_i8(out.address(), x.address(), batch, s.rows(), s.cols(),
          s.paddedValues().address(), s.indices().address(), s.scales().address());
    });
    W8A8_MATMULS.put(WeightFormat.DENSE_W8A8, (out, a, w, batch) -> {
      DenseInt8Weight d = (DenseInt8Weight) w;
      SparsejNative.sj_matmul_w8a8(out.address(), a.q(), a.scales(), d.values().address(), d.scales().address(),
          d.rowSums().address(), batch, d.rows(), d.cols());
    });
    W8A8_MATMULS.put(WeightFormat.SPARSE_BITMASK_W8A8, (out, a, w, batch) -> {
      BitmaskSparseWeight s = (BitmaskSparseWeight) w;
      SparsejNative.sj_bitmask_matmul_w8a8(out.address(), a.q(), a.scales(), batch, s.rows(), s.cols(),
          s.bitmask().address(), s.offsets().address(), s.paddedValues().address(), s.scales().address(),
          s.rowSums().address());
    });
    W8A8_MATMULS.put(WeightFormat.SPARSE_24_W8A8, (out, a, w, batch) -> {
      Sparse24Weight s = (Sparse24Weight) w;
      SparsejNative.sj_sparse24_matmul_w8a8(out.address(), a.q(), a.scales(), batch, s.rows(), s.cols(),
          s.paddedValues().address(), s.indices().address(), s.scales().address(), s.rowSums().address());
    });
  }

  private final String isa;
  private final int threads;

  public CpuBackend(int threads) {
    this.isa = NativeLibrary.applyIsaOverride();
    SparsejNative.sj_set_threads(threads);
    this.threads = SparsejNative.sj_get_threads();
    if (SGEMM_MIN_BATCH != Integer.MAX_VALUE) {
      OpenBlasMatmul.setThreads(this.threads);
    }
  }

  /** Null if this backend can run here, else why not. */
  public static String unavailableReason() {
    return NativeLibrary.unavailableReason();
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public String describe() {
    return "cpu (native " + isa + " kernels, " + threads + " threads" + (SGEMM_MIN_BATCH == Integer.MAX_VALUE ? ""
        : "; dense F32 batches of " + SGEMM_MIN_BATCH + "+ tokens on OpenBLAS sgemm") + ")";
  }

  @Override
  public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    Shapes.checkMatmul(out, x, w, batch);
    W8A8Matmul w8a8 = W8A8_MATMULS.get(w.format());
    if (w8a8 != null) {
      w8a8.run(out, QuantizedActivations.of(x, batch, w.cols()), w, batch);
      return;
    }
    kernel(w).run(out, x, w, batch);
  }

  /** Quantizes x once for all the W8A8 weights of the group (q, k, v; gate, up); the others run as usual. */
  @Override
  public void matmulGroup(Tensor[] outs, Tensor x, LinearWeight[] weights, int batch) {
    if (outs.length != weights.length) {
      throw new IllegalArgumentException("matmulGroup: " + outs.length + " outputs for " + weights.length + " weights");
    }
    if (allDenseF32(weights, batch)) {
      long[] outAddresses = new long[weights.length];
      long[] weightAddresses = new long[weights.length];
      int[] rows = new int[weights.length];
      for (int i = 0; i < weights.length; i++) {
        Shapes.checkMatmul(outs[i], x, weights[i], batch);
        outAddresses[i] = outs[i].address();
        weightAddresses[i] = ((DenseF32Weight) weights[i]).values().address();
        rows[i] = weights[i].rows();
      }
      SparsejNative.sj_matmul_f32_group(weights.length, outAddresses, x.address(), weightAddresses, rows, batch,
          weights[0].cols());
      return;
    }
    QuantizedActivations a = null;
    for (int i = 0; i < weights.length; i++) {
      LinearWeight w = weights[i];
      Shapes.checkMatmul(outs[i], x, w, batch);
      W8A8Matmul w8a8 = W8A8_MATMULS.get(w.format());
      if (w8a8 == null) {
        kernel(w).run(outs[i], x, w, batch);
        continue;
      }
      if (a == null || !a.holds(x, batch, w.cols())) {
        a = QuantizedActivations.of(x, batch, w.cols());
      }
      w8a8.run(outs[i], a, w, batch);
    }
  }

  /**
   * Dense F32 weights of one input run as one native job (sj_matmul_f32_group): at decode the k and v of a
   * grouped-query model are too small to split alone and ran on one thread, and each matmul woke the pool again.
   */
  private static boolean allDenseF32(LinearWeight[] weights, int batch) {
    for (LinearWeight w : weights) {
      // One native call reads every weight's rows against the same input length.
      if (w.format() != WeightFormat.DENSE_F32 || w.cols() != weights[0].cols()) {
        return false;
      }
    }
    return weights.length > 0 && batch < SGEMM_MIN_BATCH;
  }

  private static Matmul kernel(LinearWeight w) {
    Matmul kernel = MATMULS.get(w.format());
    if (kernel == null) {
      throw new org.sparsej.util.SparsejException("cpu: no native kernel for weight format " + w.format().id());
    }
    return kernel;
  }

  @Override
  public void rmsnorm(Tensor out, Tensor x, Tensor weight, int batch, int dim, float eps) {
    Shapes.checkRmsnorm(out, x, weight, batch, dim);
    SparsejNative.sj_rmsnorm(out.address(), x.address(), weight.address(), batch, dim, eps);
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize, float theta,
                   RopeStyle style) {
    Shapes.checkRope(q, k, batch, nHeads, nKvHeads, headSize);
    SparsejNative.sj_rope(q.address(), k.address(), batch, pos0, nHeads, nKvHeads, headSize, theta,
        style.ordinal());
  }

  @Override
  public void rope(Tensor q, Tensor k, int batch, int pos0, int nHeads, int nKvHeads, int headSize,
                   float[] frequencies, float scale, RopeStyle style) {
    Shapes.checkRope(q, k, batch, nHeads, nKvHeads, headSize);
    Shapes.checkRopeFrequencies(frequencies, headSize);
    SparsejNative.sj_rope_freqs(q.address(), k.address(), batch, pos0, nHeads, nKvHeads, headSize, frequencies,
        scale, style.ordinal());
  }

  @Override
  public void softmax(Tensor x, int n) {
    x.requireSize("softmax", n);
    SparsejNative.sj_softmax(x.address(), n);
  }

  @Override
  public void attention(Tensor out, Tensor q, Tensor keyCache, Tensor valueCache, int batch, int pos0, int nHeads,
                        int nKvHeads, int headSize) {
    Shapes.checkAttention(out, q, keyCache, valueCache, batch, pos0, nHeads, nKvHeads, headSize);
    SparsejNative.sj_attention(out.address(), q.address(), keyCache.address(), valueCache.address(), batch, pos0,
        nHeads, nKvHeads, headSize);
  }

  @Override
  public void writeKv(PagedKv kv, int layer, Tensor k, Tensor v) {
    Shapes.checkWriteKv(kv, layer, k, v);
    NativePageTable t = NativePageTable.of(kv);
    SparsejNative.sj_kv_write(k.address(), v.address(), t.segments, t.segmentsAddress, t.pagesAddress,
        kv.pageTokens(), kv.keyOffset(layer, 0), kv.valueOffset(layer, 0), kv.kvDim());
  }

  @Override
  public void pagedAttention(Tensor out, Tensor q, PagedKv kv, int layer, int nHeads, int nKvHeads,
                             int headSize, int window) {
    Shapes.checkPagedAttention(out, q, kv, layer, nHeads, nKvHeads, headSize);
    NativePageTable t = NativePageTable.of(kv);
    SparsejNative.sj_attention_paged_window(out.address(), q.address(), t.segments, t.segmentsAddress,
        t.pagesAddress, kv.pageTokens(), kv.keyOffset(layer, 0), kv.valueOffset(layer, 0), nHeads, nKvHeads, headSize,
        Math.max(0, window));
  }

  @Override
  public void swiglu(Tensor h1, Tensor h3, long n) {
    h1.requireSize("swiglu h1", n);
    h3.requireSize("swiglu h3", n);
    SparsejNative.sj_swiglu(h1.address(), h3.address(), n);
  }

  @Override
  public void add(Tensor x, Tensor y, long n) {
    x.requireSize("add x", n);
    y.requireSize("add y", n);
    SparsejNative.sj_add(x.address(), y.address(), n);
  }
}
