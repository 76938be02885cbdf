package org.sparsej.model;

import org.sparsej.backend.RopeStyle;
import org.sparsej.util.SparsejException;

/** Hyper-parameters of a Llama-family model. */
public record LlamaConfig(
    int dim,
    int hiddenDim,
    int nLayers,
    int nHeads,
    int nKvHeads,
    int vocabSize,
    int seqLen,
    boolean sharedClassifier,
    float normEps,
    float ropeTheta,
    RopeStyle ropeStyle) {

  public LlamaConfig {
    require(dim > 0 && hiddenDim > 0 && nLayers > 0 && nHeads > 0 && nKvHeads > 0 && vocabSize > 0 && seqLen > 0,
        "all dimensions must be positive");
    require(dim % nHeads == 0, "dim " + dim + " is not a multiple of n_heads " + nHeads);
    require(nHeads % nKvHeads == 0, "n_heads " + nHeads + " is not a multiple of n_kv_heads " + nKvHeads);
    require((dim / nHeads) % 2 == 0, "head size " + dim / nHeads + " is odd (RoPE rotates pairs)");
    require(normEps > 0 && Float.isFinite(normEps), "rms_norm_eps " + normEps + " must be a positive number");
    require(ropeTheta > 0 && Float.isFinite(ropeTheta), "rope_theta " + ropeTheta + " must be a positive number");
    // One weight matrix is one Java array or one mapping: its element count must fit in an int.
    requireFits((long) vocabSize * dim, "vocab_size x dim (the embedding table)");
    requireFits((long) hiddenDim * dim, "hidden_dim x dim (one MLP matrix)");
    requireFits((long) dim * dim, "dim x dim (one attention matrix)");
  }

  private static void requireFits(long elements, String what) {
    require(elements <= Integer.MAX_VALUE, what + " is " + elements + " elements, beyond the 2^31 - 1 one matrix "
        + "may hold");
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new SparsejException("invalid model config: " + message);
    }
  }

  public int headSize() {
    return dim / nHeads;
  }

  public int kvDim() {
    return nKvHeads * headSize();
  }

  /** Weights of the transformer blocks plus embedding and classifier, in parameters. */
  public long parameterCount() {
    long perLayer = 2L * dim + 2L * dim * dim + 2L * dim * kvDim() + 3L * dim * hiddenDim;
    return (long) vocabSize * dim * (sharedClassifier ? 1 : 2) + nLayers * perLayer + dim;
  }

  /** Weight parameters read per decoded token (the embedding table is looked up, not streamed). */
  public long streamedParametersPerToken() {
    long perLayer = 2L * dim + 2L * dim * dim + 2L * dim * kvDim() + 3L * dim * hiddenDim;
    return nLayers * perLayer + dim + (long) vocabSize * dim;
  }

  @Override
  public String toString() {
    return String.format("dim=%d hidden=%d layers=%d heads=%d kv_heads=%d vocab=%d seq=%d%s", dim, hiddenDim,
        nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier ? " tied" : "");
  }
}
