package org.sparsej.model;

import org.sparsej.backend.Backend;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;

/**
 * One sequence being processed: the KV cache, the activation buffers and the forward pass. The pass reads
 * like llama2.c's run.c, but takes a batch of consecutive tokens at once (prefill) as well as one (decode).
 */
public final class InferenceSession {
  private final LlamaConfig c;
  private final LlamaWeights w;
  private final Backend backend;
  private final int maxBatch;
  private final Tensor[] keyCache;    // per layer [seq][kvDim]
  private final Tensor[] valueCache;  // per layer [seq][kvDim]
  private final Tensor x;       // [batch][dim] residual stream
  private final Tensor xb;      // [batch][dim] normed input / attention output
  private final Tensor xb2;     // [batch][dim] projection output
  private final Tensor q;       // [batch][dim]
  private final Tensor hb;      // [batch][hidden] gate
  private final Tensor hb2;     // [batch][hidden] up
  private final Tensor logits;  // [batch][vocab]
  private int position;         // tokens already in the cache

  InferenceSession(LlamaModel model, Backend backend, int maxBatch) {
    this.c = model.config();
    this.w = model.weights();
    this.backend = backend;
    this.maxBatch = Math.max(1, Math.min(maxBatch, c.seqLen()));
    int b = this.maxBatch;
    keyCache = new Tensor[c.nLayers()];
    valueCache = new Tensor[c.nLayers()];
    for (int l = 0; l < c.nLayers(); l++) {
      keyCache[l] = Tensor.allocate(DType.F32, c.seqLen(), c.kvDim());
      valueCache[l] = Tensor.allocate(DType.F32, c.seqLen(), c.kvDim());
    }
    x = Tensor.allocate(DType.F32, b, c.dim());
    xb = Tensor.allocate(DType.F32, b, c.dim());
    xb2 = Tensor.allocate(DType.F32, b, c.dim());
    q = Tensor.allocate(DType.F32, b, c.dim());
    hb = Tensor.allocate(DType.F32, b, c.hiddenDim());
    hb2 = Tensor.allocate(DType.F32, b, c.hiddenDim());
    logits = Tensor.allocate(DType.F32, b, c.vocabSize());
  }

  public int position() {
    return position;
  }

  public int maxBatch() {
    return maxBatch;
  }

  public LlamaConfig config() {
    return c;
  }

  /** Forgets the sequence so far (the cache is overwritten from position 0). */
  public void reset() {
    position = 0;
  }

  /**
   * Runs {@code count} tokens (count <= maxBatch) at the next positions and returns logits: [count][vocab] if
   * {@code allLogits}, else [1][vocab] for the last token only.
   */
  public Tensor forward(int[] tokens, int count, boolean allLogits) {
    if (count < 1 || count > maxBatch || count > tokens.length) {
      throw new IllegalArgumentException("forward: count " + count + " outside 1.." + maxBatch);
    }
    if (position + count > c.seqLen()) {
      throw new SparsejException("context full: " + (position + count) + " tokens exceed the model's context of "
          + c.seqLen());
    }
    final int n = count;
    final int pos = position;
    final int dim = c.dim();
    final int kvDim = c.kvDim();
    backend.embedding(x, w.tokenEmbedding(), tokens, n);

    for (int l = 0; l < c.nLayers(); l++) {
      LayerWeights layer = w.layers().get(l);
      // Attention: k and v are written straight into this layer's cache rows pos .. pos+n-1.
      Tensor k = keyCache[l].view((long) pos * kvDim, n, kvDim);
      Tensor v = valueCache[l].view((long) pos * kvDim, n, kvDim);
      backend.rmsnorm(xb, x, layer.attentionNorm(), n, dim, c.normEps());
      // q [n][dim], k and v [n][kvDim] from one normed input.
      backend.matmulGroup(new Tensor[] {q, k, v}, xb, new LinearWeight[] {layer.wq(), layer.wk(), layer.wv()}, n);
      backend.rope(q, k, n, pos, c.nHeads(), c.nKvHeads(), c.headSize(), c.ropeTheta(), c.ropeStyle());
      backend.attention(xb, q, keyCache[l], valueCache[l], n, pos, c.nHeads(), c.nKvHeads(), c.headSize());
      backend.matmul(xb2, xb, layer.wo(), n);  // [n][dim]
      backend.add(x, xb2, (long) n * dim);

      // SwiGLU MLP: x += w2(silu(w1(xn)) * w3(xn)).
      backend.rmsnorm(xb, x, layer.ffnNorm(), n, dim, c.normEps());
      backend.matmulGroup(new Tensor[] {hb, hb2}, xb, new LinearWeight[] {layer.w1(), layer.w3()}, n);  // [n][hidden]
      backend.swiglu(hb, hb2, (long) n * c.hiddenDim());
      backend.matmul(xb, hb, layer.w2(), n);   // [n][dim]
      backend.add(x, xb, (long) n * dim);
    }
    position += n;

    // Classifier: over every row for scoring, or only the last for generation.
    int rows = allLogits ? n : 1;
    Tensor last = allLogits ? x : x.view((long) (n - 1) * dim, 1, dim);
    backend.rmsnorm(xb, last, w.finalNorm(), rows, dim, c.normEps());
    backend.matmul(logits, xb, w.classifier(), rows);
    return logits.view(0, rows, c.vocabSize());
  }

  /** Feeds a whole token sequence in chunks of maxBatch and returns the logits of its last token. */
  public Tensor prefill(int[] tokens) {
    Tensor result = null;
    for (int start = 0; start < tokens.length; start += maxBatch) {
      int n = Math.min(maxBatch, tokens.length - start);
      int[] chunk = java.util.Arrays.copyOfRange(tokens, start, start + n);
      result = forward(chunk, n, false);
    }
    if (result == null) {
      throw new SparsejException("prefill needs at least one token");
    }
    return result;
  }
}
