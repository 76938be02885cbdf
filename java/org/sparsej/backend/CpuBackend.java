package org.sparsej.backend;

import java.util.EnumMap;
import java.util.Map;
import org.sparsej.nativeops.NativeLibrary;
import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.Tensor;
import org.sparsej.weights.BitmaskSparseWeight;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.LinearWeight;
import org.sparsej.weights.Q8_0Weight;
import org.sparsej.weights.Sparse24Weight;
import org.sparsej.weights.WeightFormat;

/** Native C++ kernels (scalar / AVX2 / AVX-512, chosen from CPUID) on the native thread pool. */
public final class CpuBackend implements Backend {
  /** One native matmul per weight format: a new format registers its kernel here. */
  interface Matmul {
    void run(Tensor out, Tensor x, LinearWeight w, int batch);
  }

  private static final Map<WeightFormat, Matmul> MATMULS = new EnumMap<>(WeightFormat.class);

  static {
    MATMULS.put(WeightFormat.DENSE_F32, (out, x, w, batch) -> SparsejNative.sj_matmul_f32(
        out.address(), x.address(), ((DenseF32Weight) w).values().address(), batch, w.rows(), w.cols()));
    MATMULS.put(WeightFormat.Q8_0, (out, x, w, batch) -> SparsejNative.sj_matmul_q8_0(
        out.address(), x.address(), ((Q8_0Weight) w).blocks().address(), batch, w.rows(), w.cols()));
    // Dense int8: the Java reference until the native kernels land (gemm_int8.h).
    MATMULS.put(WeightFormat.DENSE_W8A16, (out, x, w, batch) -> w.referenceMatmul(out, x, batch, 0, w.rows()));
    MATMULS.put(WeightFormat.DENSE_W8A8, (out, x, w, batch) -> w.referenceMatmul(out, x, batch, 0, w.rows()));
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
    MATMULS.put(WeightFormat.SPARSE_BITMASK_W8A8, (out, x, w, batch) -> {
      BitmaskSparseWeight s = (BitmaskSparseWeight) w;
      QuantizedActivations a = QuantizedActivations.of(x, batch, s.cols());
      SparsejNative.sj_bitmask_matmul_w8a8(out.address(), a.q(), a.scales(), batch, s.rows(), s.cols(),
          s.bitmask().address(), s.offsets().address(), s.paddedValues().address(), s.scales().address(),
          s.rowSums().address());
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
    MATMULS.put(WeightFormat.SPARSE_24_W8A8, (out, x, w, batch) -> {
      Sparse24Weight s = (Sparse24Weight) w;
      QuantizedActivations a = QuantizedActivations.of(x, batch, s.cols());
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
    return "cpu (native " + isa + " kernels, " + threads + " threads)";
  }

  @Override
  public void matmul(Tensor out, Tensor x, LinearWeight w, int batch) {
    Shapes.checkMatmul(out, x, w, batch);
    Matmul kernel = MATMULS.get(w.format());
    if (kernel == null) {
      throw new org.sparsej.util.SparsejException("cpu: no native kernel for weight format " + w.format().id());
    }
    kernel.run(out, x, w, batch);
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
