package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * Symmetric int8 quantization of one row, exactly as the native kernels do it (quantize.h): with m = max|v|,
 * scale = m / 127 and q = round-half-even(v · (127 / m)) in [-127, 127]; an all-zero activation row has scale 1
 * and an all-zero weight row scale 0 ({@link #weightScale}).
 * Weights use it per output row, W8A8 activations per token.
 */
public final class Int8Quantizer {
  private Int8Quantizer() {}

  public static float scale(float absMax) {
    return absMax > 0 ? absMax / 127f : 1f;
  }

  /** A weight row's scale: as {@link #scale}, but 0 for an all-zero row (its q are all 0, so nothing is lost). */
  public static float weightScale(float absMax) {
    return absMax > 0 ? absMax / 127f : 0f;
  }

  public static float inverse(float absMax) {
    return absMax > 0 ? 127f / absMax : 0f;
  }

  public static byte quantize(float v, float inverse) {
    float q = (float) Math.rint(v * inverse);
    return (byte) Math.max(-127f, Math.min(127f, q));
  }

  /** Activations quantized per token: q [batch][cols] and one scale per token. */
  public record Rows(byte[] q, float[] scales, int cols) {}

  /** The Java twin of sj_quantize_rows_i8 over x [batch][cols] (F32). */
  public static Rows quantizeRows(Tensor x, int batch, int cols) {
    byte[] q = new byte[batch * cols];
    float[] scales = new float[batch];
    float[] row = new float[cols];
    for (int b = 0; b < batch; b++) {
      x.floats().position(b * cols).get(row);
      float absMax = 0f;
      for (float v : row) {
        absMax = Math.max(absMax, Math.abs(v));
      }
      float inv = inverse(absMax);
      scales[b] = scale(absMax);
      for (int c = 0; c < cols; c++) {
        q[b * cols + c] = quantize(row[c], inv);
      }
    }
    return new Rows(q, scales, cols);
  }
}
