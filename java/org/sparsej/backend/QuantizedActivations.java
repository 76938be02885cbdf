package org.sparsej.backend;

import org.sparsej.nativeops.SparsejNative;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/**
 * Per-thread buffers for W8A8 matmuls: x [batch][cols] quantized to int8 with one scale per token
 * (sj_quantize_rows_i8), reused across calls so decode allocates nothing.
 */
final class QuantizedActivations {
  private static final ThreadLocal<QuantizedActivations> BUFFERS = ThreadLocal.withInitial(QuantizedActivations::new);

  private Tensor q = Tensor.allocate(DType.I8, 0);
  private Tensor scales = Tensor.allocate(DType.F32, 0);

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
    return a;
  }

  long q() {
    return q.address();
  }

  long scales() {
    return scales.address();
  }
}
