package org.sparsej.backend;

import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * Per-thread buffers for W8A8 matmuls: x [batch][cols] quantized to int8 with one scale per token
 * (sj_quantize_rows_i8), reused across calls so decode allocates nothing. {@link CpuBackend#matmulGroup} quantizes
 * once and hands the same buffers to every W8A8 weight that reads x (q, k, v; gate, up).
 */
final class QuantizedActivations {
  private static final ThreadLocal<QuantizedActivations> BUFFERS = ThreadLocal.withInitial(QuantizedActivations::new);

  private Tensor q = Tensor.allocate(DType.I8, 0);
  private Tensor scales = Tensor.allocate(DType.F32, 0);
  private long source;  // address of the x quantized last, with its batch and cols
  private int batch;
  private int cols;
  private static final java.util.concurrent.atomic.AtomicLong QUANTIZATIONS = new java.util.concurrent.atomic.AtomicLong();

  /** Quantizes x and returns this thread's buffers holding the result. */
  static QuantizedActivations of(Tensor x, int batch, int cols) {
    QuantizedActivations a = BUFFERS.get();
    long n = (long) batch * cols;
    if (a.q.size() < n) {
      a.q = Tensor.allocate(DType.I8, Math.toIntExact(n));
    }
    if (a.scales.size() < batch) {
      a.scales = Tensor.allocate(DType.F32, batch);
    }
    SparsejNative.sj_quantize_rows_i8(a.q.address(), a.scales.address(), x.address(), batch, cols);
    a.source = x.address();
    a.batch = batch;
    a.cols = cols;
    QUANTIZATIONS.incrementAndGet();  // tests check that a group quantizes once
    return a;
  }

  /** Whether these buffers hold x [batch][cols] as quantized by the last {@link #of} (x unchanged since). */
  boolean holds(Tensor x, int batch, int cols) {
    return source == x.address() && this.batch == batch && this.cols == cols;
  }

  static long quantizations() {
    return QUANTIZATIONS.get();
  }

  long q() {
    return q.address();
  }

  long scales() {
    return scales.address();
  }
}
