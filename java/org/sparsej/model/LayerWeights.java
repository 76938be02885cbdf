package org.sparsej.model;

import org.sparsej.tensor.Tensor;
import org.sparsej.weights.LinearWeight;

/** One transformer block: attention (wq, wk, wv, wo) and SwiGLU MLP (w1 gate, w3 up, w2 down), with their norms. */
public record LayerWeights(
    Tensor attentionNorm,
    LinearWeight wq,
    LinearWeight wk,
    LinearWeight wv,
    LinearWeight wo,
    Tensor ffnNorm,
    LinearWeight w1,
    LinearWeight w2,
    LinearWeight w3) {}
