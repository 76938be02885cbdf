package org.sparsej.model;

import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;

/**
 * One sequence on the shared {@link ForwardPass}: its own KV pages (grown as it goes, up to the model's context)
 * and host logits. A batch of consecutive tokens at once (prefill) or one (decode). The engine
 * ({@code org.sparsej.engine.Engine}) runs many sequences through the same pass together.
 */
public final class InferenceSession implements AutoCloseable {
  private final LlamaConfig c;
  private final Backend backend;
  private final ForwardPass pass;
  // Room for one sequence of the model's full context, reserved but allocated a page at a time as it grows: a model
  // that declares 128k positions costs only what a session really uses.
  private final KvCachePool pool;
  private final KvCache cache;
  private final Tensor hostLogits;  // [maxBatch][vocab] host copy of what forward returns
  private final float[] row;
  private final int[] allRows;
  private int position;             // tokens already in the cache

  InferenceSession(LlamaModel model, Backend backend, int maxBatch) {
    this.c = model.config();
    this.backend = backend;
    this.pass = new ForwardPass(model, backend, Math.min(maxBatch, c.seqLen()));
    this.pool = KvCachePool.forModel(backend, c, KvCachePool.sequenceBytes(c, c.seqLen()));
    this.cache = pool.reserve(c.seqLen());
    this.hostLogits = Tensor.allocate(DType.F32, pass.maxTokens(), c.vocabSize());
    this.row = new float[c.vocabSize()];
    this.allRows = new int[pass.maxTokens()];
    for (int i = 0; i < allRows.length; i++) {
      allRows[i] = i;
    }
  }

  public int position() {
    return position;
  }

  public int maxBatch() {
    return pass.maxTokens();
  }

  public LlamaConfig config() {
    return c;
  }

  /** KV-cache bytes allocated so far: the pages for the positions used, not the model's declared context. */
  public long kvBytesAllocated() {
    return pool.bytesAllocated();
  }

  /** Forgets the sequence so far (the cache is overwritten from position 0). */
  public void reset() {
    position = 0;
  }

  /**
   * Keeps the first {@code keep} tokens of the sequence and forgets the rest (their cache entries are overwritten
   * by what comes next): a chat that re-renders its conversation reuses the cached prefix it shares.
   */
  public void rewind(int keep) {
    if (keep < 0 || keep > position) {
      throw new IllegalArgumentException("rewind to " + keep + " of " + position + " tokens");
    }
    position = keep;
  }

  /**
   * Runs {@code count} tokens (count <= maxBatch) at the next positions and returns host logits: [count][vocab] if
   * {@code allLogits}, else [1][vocab] for the last token only (valid until the next call).
   */
  public Tensor forward(int[] tokens, int count, boolean allLogits) {
    if (count < 1 || count > pass.maxTokens() || count > tokens.length) {
      throw new IllegalArgumentException("forward: count " + count + " outside 1.." + pass.maxTokens());
    }
    if (position + count > c.seqLen()) {
      throw new SparsejException("context full: " + (position + count) + " tokens exceed the model's context of "
          + c.seqLen());
    }
    cache.ensure(position + count);
    PagedKv.Builder kv = PagedKv.builder(c.nLayers(), pool.pageTokens(), c.kvDim());
    cache.addTo(kv, count, position);
    int rows = allLogits ? count : 1;
    int[] wanted = allLogits ? allRows : new int[] {count - 1};
    Tensor logits = pass.forward(tokens, kv.build(), wanted, rows);
    position += count;
    java.nio.FloatBuffer host = hostLogits.floats();
    for (int r = 0; r < rows; r++) {
      backend.copyToHost(logits, (long) r * c.vocabSize(), row, 0, c.vocabSize());
      host.put(row);
    }
    return hostLogits.view(0, rows, c.vocabSize());
  }

  /** Feeds a whole token sequence in chunks of maxBatch and returns the logits of its last token. */
  public Tensor prefill(int[] tokens) {
    Tensor result = null;
    for (int start = 0; start < tokens.length; start += pass.maxTokens()) {
      int n = Math.min(pass.maxTokens(), tokens.length - start);
      int[] chunk = java.util.Arrays.copyOfRange(tokens, start, start + n);
      result = forward(chunk, n, false);
    }
    if (result == null) {
      throw new SparsejException("prefill needs at least one token");
    }
    return result;
  }

  /** Frees the activations and KV pages (also left to the garbage collector on host backends). */
  @Override
  public void close() {
    cache.release();
    pool.close();
    pass.close();
  }
}
