package org.sparsej.model;

import java.util.function.Supplier;
import org.sparsej.backend.RopeStyle;
import org.sparsej.util.SparsejException;

/**
 * Hyper-parameters of a Llama-family model: Llama 1-3, Mistral, Qwen2 (q/k/v biases). headDim may differ from
 * dim / nHeads (then q is nHeads·headDim wide); slidingWindow 0 means full causal attention.
 */
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
    RopeStyle ropeStyle,
    int headDim,
    RopeScaling ropeScaling,
    boolean qkvBias,
    int slidingWindow) {

  // Each message is built only when its check fails: every model load (and every fuzzed input) passes here.
  public LlamaConfig {
    require(dim > 0 && hiddenDim > 0 && nLayers > 0 && nHeads > 0 && nKvHeads > 0 && vocabSize > 0 && seqLen > 0
        && headDim > 0, () -> "all dimensions must be positive");
    require(nHeads % nKvHeads == 0, () -> "n_heads " + nHeads + " is not a multiple of n_kv_heads " + nKvHeads);
    require(headDim % 2 == 0, () -> "head size " + headDim + " is odd (RoPE rotates pairs)");
    require((long) nHeads * headDim <= Integer.MAX_VALUE / 2, () -> "n_heads x head_dim is too large");
    require(slidingWindow >= 0, () -> "sliding window " + slidingWindow + " is negative");
    require(ropeScaling != null, () -> "no rope scaling");
    require(normEps > 0 && Float.isFinite(normEps), () -> "rms_norm_eps " + normEps + " must be a positive number");
    require(ropeTheta > 0 && Float.isFinite(ropeTheta),
        () -> "rope_theta " + ropeTheta + " must be a positive number");
    // One weight matrix is one Java array or one mapping: its element count must fit in an int.
    requireFits((long) vocabSize * dim, "vocab_size x dim (the embedding table)");
    requireFits((long) hiddenDim * dim, "hidden_dim x dim (one MLP matrix)");
    requireFits((long) nHeads * headDim * dim, "n_heads x head_dim x dim (one attention matrix)");
  }

  private static void requireFits(long elements, String what) {
    require(elements <= Integer.MAX_VALUE,
        () -> what + " is " + elements + " elements, beyond the 2^31 - 1 one matrix may hold");
  }

  /** A plain Llama: head size dim / nHeads, unscaled RoPE, no biases, full attention. */
  public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int vocabSize, int seqLen,
                     boolean sharedClassifier, float normEps, float ropeTheta, RopeStyle ropeStyle) {
    this(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier, normEps, ropeTheta,
        ropeStyle, headDimOf(dim, nHeads), RopeScaling.NONE, false, 0);
  }

  private static int headDimOf(int dim, int nHeads) {
    require(nHeads > 0 && dim % nHeads == 0, () -> "dim " + dim + " is not a multiple of n_heads " + nHeads);
    return dim / nHeads;
  }

  /** This config with the features beyond plain Llama set. */
  public LlamaConfig with(int headDim, RopeScaling ropeScaling, boolean qkvBias, int slidingWindow) {
    return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier, normEps,
        ropeTheta, ropeStyle, headDim, ropeScaling, qkvBias, slidingWindow);
  }

  /** True when it is a plain Llama (what llama2.c checkpoints and SparseJ's writers hold). */
  public boolean isPlainLlama() {
    return headDim * nHeads == dim && ropeScaling.type().equals("default") && !qkvBias && slidingWindow == 0;
  }

  /** Fails with {@code message} unless ok; the message is built only then. */
  private static void require(boolean ok, Supplier<String> message) {
    if (!ok) {
      throw invalid(message.get());
    }
  }

  private static SparsejException invalid(String message) {
    return new SparsejException("invalid model config: " + message);
  }

  /** Refuses what a writer of plain Llama files cannot hold, rather than writing a model that runs differently. */
  public void requirePlainLlama(String writer) {
    if (!isPlainLlama()) {
      throw new SparsejException(writer + " cannot write this model yet (it has" + features() + "; only plain "
          + "Llama models are written)");
    }
  }

  /** What sets this config apart from plain Llama, each with a leading space ("" for plain Llama). */
  private String features() {
    return (headDim * nHeads != dim ? " head_dim=" + headDim : "")
        + (ropeScaling.type().equals("default") ? "" : " rope_scaling=" + ropeScaling.type())
        + (qkvBias ? " qkv_bias" : "") + (slidingWindow > 0 ? " sliding_window=" + slidingWindow : "");
  }

  public int headSize() {
    return headDim;
  }

  /** Width of q and of the attention output: nHeads · headDim (dim, unless head_dim was given apart). */
  public int qDim() {
    return nHeads * headDim;
  }

  public int kvDim() {
    return nKvHeads * headSize();
  }

  /** Weights of the transformer blocks plus embedding and classifier, in parameters. */
  public long parameterCount() {
    long perLayer = 2L * dim + 2L * dim * qDim() + 2L * dim * kvDim() + 3L * dim * hiddenDim;
    return (long) vocabSize * dim * (sharedClassifier ? 1 : 2) + nLayers * perLayer + dim;
  }

  /** Weight parameters read per decoded token (the embedding table is looked up, not streamed). */
  public long streamedParametersPerToken() {
    long perLayer = 2L * dim + 2L * dim * qDim() + 2L * dim * kvDim() + 3L * dim * hiddenDim;
    return nLayers * perLayer + dim + (long) vocabSize * dim;
  }

  @Override
  public String toString() {
    return String.format("dim=%d hidden=%d layers=%d heads=%d kv_heads=%d vocab=%d seq=%d%s%s", dim, hiddenDim,
        nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier ? " tied" : "", features());
  }
}
