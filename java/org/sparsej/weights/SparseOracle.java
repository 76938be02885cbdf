package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * The reference semantics shared by the sparse formats, one output at a time: a row's kept (column, value)
 * pairs meet one token. F32 and INT8 accumulate in float and apply the row scale last; W8A8 accumulates
 * int8 products exactly and scales by token scale times row scale, as the native kernels do.
 */
final class SparseOracle {
  private final Precision precision;
  private final Int8Quantizer.Rows quantized;  // W8A8 only

  SparseOracle(Precision precision, Tensor x, int batch, int cols) {
    this.precision = precision;
    this.quantized = precision == Precision.W8A8 ? Int8Quantizer.quantizeRows(x, batch, cols) : null;
  }

  /** One output from a row's n kept pairs (cols, raw values before scale) against token b of x. */
  float dot(int[] cols, float[] values, int n, float rowScale, Tensor x, int b, int xCols) {
    if (precision == Precision.W8A8) {
      int sum = 0;
      int base = b * quantized.cols();
      for (int i = 0; i < n; i++) {
        sum += (int) values[i] * quantized.q()[base + cols[i]];
      }
      return (float) sum * (quantized.scales()[b] * rowScale);
    }
    float sum = 0f;
    long base = (long) b * xCols;
    for (int i = 0; i < n; i++) {
      sum += values[i] * x.getFloat(base + cols[i]);
    }
    return rowScale * sum;
  }
}
