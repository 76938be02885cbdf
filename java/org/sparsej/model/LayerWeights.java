package org.sparsej.model;

import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/**
 * One transformer block: attention (wq, wk, wv, wo) and SwiGLU MLP (w1 gate, w3 up, w2 down), with their norms,
 * and the q/k/v biases of Qwen2-style models (null for Llama, which has none).
 */
public record LayerWeights(
    Tensor attentionNorm,
    LinearWeight wq,
    LinearWeight wk,
    LinearWeight wv,
    LinearWeight wo,
    Tensor ffnNorm,
    LinearWeight w1,
    LinearWeight w2,
    LinearWeight w3,
    Tensor bq,
    Tensor bk,
    Tensor bv) {

  public LayerWeights {
    if ((bq == null) != (bk == null) || (bq == null) != (bv == null)) {
      throw new IllegalArgumentException("q, k and v biases come together or not at all");
    }
  }

  /** A block without biases. */
  public LayerWeights(Tensor attentionNorm, LinearWeight wq, LinearWeight wk, LinearWeight wv, LinearWeight wo,
                      Tensor ffnNorm, LinearWeight w1, LinearWeight w2, LinearWeight w3) {
    this(attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, null, null, null);
  }

  public boolean hasBiases() {
    return bq != null;
  }

  /** This block's biases on another block's weights (rebuilt by pruning, quantization or conversion). */
  public LayerWeights withBiasesOf(LayerWeights other) {
    return new LayerWeights(attentionNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, other.bq, other.bk, other.bv);
  }
}
