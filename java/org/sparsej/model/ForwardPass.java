package org.sparsej.model;

import java.util.ArrayList;
import java.util.List;
import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * The model's forward pass over one batch of up to {@code maxTokens} token rows, drawn from one sequence or many:
 * embedding → every {@link TransformerBlock} → final norm → classifier on the rows whose logits are wanted. Weights
 * are prepared by the backend once, here; activations live in backend memory; logits stay there for the caller to
 * copy out. Not thread-safe: one pass at a time.
 */
public final class ForwardPass implements AutoCloseable {
  private final LlamaConfig c;
  private final LlamaWeights w;  // as the backend prepared them
  private final Backend backend;
  private final int maxTokens;
  private final BlockBuffers buffers;
  private final Tensor x;       // [tokens][dim] residual stream
  private final Tensor picked;  // [tokens][dim] rows whose logits are wanted, then normed
  private final Tensor logits;  // [tokens][vocab]

  public ForwardPass(LlamaModel model, Backend backend, int maxTokens) {
    this.c = model.config();
    this.backend = backend;
    this.maxTokens = Math.max(1, maxTokens);
    this.w = prepare(model.weights(), backend);
    this.buffers = new BlockBuffers(backend, c, this.maxTokens);
    this.x = backend.allocate(DType.F32, this.maxTokens, c.dim());
    this.picked = backend.allocate(DType.F32, this.maxTokens, c.dim());
    this.logits = backend.allocate(DType.F32, this.maxTokens, c.vocabSize());
  }

  private static LlamaWeights prepare(LlamaWeights w, Backend b) {
    List<LayerWeights> layers = new ArrayList<>();
    for (LayerWeights l : w.layers()) {
      layers.add(new LayerWeights(b.prepare(l.attentionNorm()), b.prepare(l.wq()), b.prepare(l.wk()),
          b.prepare(l.wv()), b.prepare(l.wo()), b.prepare(l.ffnNorm()), b.prepare(l.w1()), b.prepare(l.w2()),
          b.prepare(l.w3()), prepareOrNull(b, l.bq()), prepareOrNull(b, l.bk()), prepareOrNull(b, l.bv())));
    }
    return new LlamaWeights(b.prepare(w.tokenEmbedding()), layers, b.prepare(w.finalNorm()),
        b.prepare(w.classifier()));
  }

  private static Tensor prepareOrNull(Backend b, Tensor t) {
    return t == null ? null : b.prepare(t);
  }

  public LlamaConfig config() {
    return c;
  }

  public Backend backend() {
    return backend;
  }

  public int maxTokens() {
    return maxTokens;
  }

  /**
   * Runs {@code tokens[0 .. kv.totalRows())}, row r of the batch being token r, with each sequence's KV pages and
   * positions in {@code kv}; returns the logits [logitCount][vocab] (backend memory, valid until the next pass) of
   * batch rows {@code logitRows[0 .. logitCount)}, in that order.
   */
  public Tensor forward(int[] tokens, PagedKv kv, int[] logitRows, int logitCount) {
    return forward(tokens, kv, logitRows, logitCount, null);
  }

  /**
   * As {@link #forward(int[], PagedKv, int[], int)}, block l watched by {@code observers[l]} (training keeps the
   * activations its backward pass reads); observers or any entry may be null.
   */
  public Tensor forward(int[] tokens, PagedKv kv, int[] logitRows, int logitCount,
                        TransformerBlock.Observer[] observers) {
    int n = kv.totalRows();
    if (n < 1 || n > maxTokens || n > tokens.length) {
      throw new SparsejException("forward: " + n + " tokens outside 1.." + maxTokens);
    }
    if (kv.layers() != c.nLayers() || kv.kvDim() != c.kvDim()) {
      throw new SparsejException("forward: kv pages of " + kv.layers() + " layers x " + kv.kvDim()
          + " do not fit the model");
    }
    int dim = c.dim();
    backend.embedding(x, w.tokenEmbedding(), tokens, n);
    for (int l = 0; l < c.nLayers(); l++) {
      TransformerBlock.forward(backend, c, w.layers().get(l), l, kv, buffers, x, n,
          observers == null ? null : observers[l]);
    }
    if (logitCount == 0) {
      return logits.view(0, 0, c.vocabSize());
    }
    // Classifier only over the rows asked for: the last of a prompt chunk, each decode step, or all for scoring.
    boolean allInOrder = logitCount == n;
    for (int i = 0; allInOrder && i < n; i++) {
      allInOrder = logitRows[i] == i;
    }
    Tensor rows = x;
    if (!allInOrder) {
      for (int i = 0; i < logitCount; i++) {
        int r = logitRows[i];
        if (r < 0 || r >= n) {
          throw new SparsejException("forward: logits asked for row " + r + " of " + n);
        }
        backend.copy(picked, (long) i * dim, x, (long) r * dim, dim);
      }
      rows = picked;
    }
    backend.rmsnorm(picked, rows, w.finalNorm(), logitCount, dim, c.normEps());
    backend.matmul(logits, picked, w.classifier(), logitCount);
    return logits.view(0, logitCount, c.vocabSize());
  }

  @Override
  public void close() {
    buffers.close();
    for (Tensor t : new Tensor[] {x, picked, logits}) {
      backend.free(t);
    }
  }
}
