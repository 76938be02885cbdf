package org.sparsej.quantize;

import org.sparsej.tensor.Tensor;
import org.sparsej.weights.DenseF32Weight;
import org.sparsej.weights.Int8Quantizer;
import org.sparsej.weights.LinearWeight;

/**
 * TEMPORARY until the INT8 weight formats land: per-row symmetric INT8 round trip of the weights, returned as
 * dense F32 (so activations are not quantized). Replaced by org.sparsej.weights.Int8Quantization.toInt8.
 */
final class Int8Linears {
  private Int8Linears() {}

  static LinearWeight toInt8(LinearWeight w, boolean int8Activations) {
    float[] v = w.toDense().toFloatArray();
    int cols = w.cols();
    for (int r = 0; r < w.rows(); r++) {
      float m = 0;
      for (int c = 0; c < cols; c++) {
        m = Math.max(m, Math.abs(v[r * cols + c]));
      }
      float scale = Int8Quantizer.scale(m);
      float inv = Int8Quantizer.inverse(m);
      for (int c = 0; c < cols; c++) {
        v[r * cols + c] = Int8Quantizer.quantize(v[r * cols + c], inv) * scale;
      }
    }
    return new DenseF32Weight(Tensor.of(v, w.rows(), cols));
  }
}
