package org.sparsej.weights;

import org.sparsej.tensor.Tensor;

/**
 * Activations quantized to Q8_0 blocks, as llama.cpp multiplies its Q8_0 and Q4_0 weights: per 32 values of a
 * token, d = max|x| / 127 and q = round(x / d), half away from zero (computed as the native
 * sj_quantize_q8_blocks does, so both give the same bytes). The Java reference of {@link Q8_0Weight} and
 * {@link Q4_0Weight}.
 */
record Q8Activations(byte[] q, float[] d) {
  static final int BLOCK = 32;

  static Q8Activations quantize(Tensor x, int batch, int cols) {
    int blocks = batch * (cols / BLOCK);
    byte[] q = new byte[batch * cols];
    float[] d = new float[blocks];
    for (int k = 0; k < blocks; k++) {
      int base = k * BLOCK;  // cols is a multiple of 32, so block k of the whole batch starts here
      float amax = 0f;
      for (int j = 0; j < BLOCK; j++) {
        amax = Math.max(amax, Math.abs(x.getFloat(base + j)));
      }
      float dk = amax / 127f;
      float id = dk != 0f ? 1f / dk : 0f;
      d[k] = dk;
      for (int j = 0; j < BLOCK; j++) {
        float y = x.getFloat(base + j) * id;
        int v = (int) (Math.abs(y) + 0.5f);
        q[base + j] = (byte) (y < 0f ? -v : v);
      }
    }
    return new Q8Activations(q, d);
  }

  /** The reference product of one weight block with block k of token b: scale·Σ w·x, the sum exact. */
  float block(int b, int cols, int k, float weightScale, int[] w) {
    int base = b * cols + k * BLOCK;
    int s = 0;
    for (int j = 0; j < BLOCK; j++) {
      s += w[j] * q[base + j];
    }
    return weightScale * d[b * (cols / BLOCK) + k] * (float) s;
  }
}
