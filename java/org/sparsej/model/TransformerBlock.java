package org.sparsej.model;

import org.sparsej.backend.Backend;
import org.sparsej.backend.PagedKv;
import org.sparsej.tensor.Tensor;
import org.sparsej.util.SparsejException;
import org.sparsej.weights.LinearWeight;

/**
 * One Llama transformer block over a batch of token rows: the one forward pass that inference, batched serving
 * and pruning calibration all run. Rows may come from several sequences (the segments of {@link PagedKv}): the
 * matmuls see the whole [tokens][dim] batch, rope and attention run per sequence against its own KV pages.
 */
public final class TransformerBlock {
  /** The inputs the block's linears read, in forward order. */
  public enum LinearInput {
    /** The attention-normed input of wq, wk and wv. */
    QKV,
    /** The attention output, input of wo. */
    ATTENTION_OUTPUT,
    /** The ffn-normed input of w1 and w3. */
    FFN,
    /** silu(w1·x)·(w3·x), input of w2. */
    DOWN
  }

  /** The other activations the block makes, which training's backward pass keeps (see {@link Observer}). */
  public enum Activation {
    /** x as the block receives it (the residual stream). */
    BLOCK_INPUT,
    /** q after bias and rope, as attention reads it. */
    QUERY,
    /** k after bias and rope. */
    KEY,
    /** v after bias. */
    VALUE,
    /** x after the attention residual add: the input of the ffn norm. */
    ATTENTION_RESIDUAL,
    /** w1·x before silu. */
    GATE,
    /** w3·x. */
    UP,
    /** x as the block leaves it. */
    BLOCK_OUTPUT
  }

  /** Sees each linear group's input as the block runs (pruning gathers its statistics here). */
  public interface Observer {
    /** {@code input} holds {@code rows} rows in backend memory; read it before returning. */
    void onInput(LinearInput which, Tensor input, int rows);

    /** Another activation, {@code rows} rows in backend memory, read before returning; ignored unless wanted. */
    default void onActivation(Activation which, Tensor value, int rows) {}
  }

  private TransformerBlock() {}

  /**
   * x [n][dim] through block {@code layer} in place. This pass's keys and values are stored at layer
   * {@code kvLayer} of the pages of {@code kv} (whose segments cover the n rows) before attention reads them.
   */
  public static void forward(Backend b, LlamaConfig c, LayerWeights layer, int kvLayer, PagedKv kv, BlockBuffers buf,
                             Tensor x, int n, Observer observer) {
    if (n < 1 || n > buf.maxTokens || kv.totalRows() != n) {
      throw new SparsejException("block forward: " + n + " rows, buffers for " + buf.maxTokens + ", kv segments cover "
          + kv.totalRows());
    }
    int dim = c.dim();
    int qDim = c.qDim();
    int kvDim = c.kvDim();
    // Attention: x += wo(attention(rope(wq·xn + bq), rope(wk·xn + bk), wv·xn + bv)).
    activation(observer, Activation.BLOCK_INPUT, x, n);
    b.rmsnorm(buf.xb, x, layer.attentionNorm(), n, dim, c.normEps());
    observe(observer, LinearInput.QKV, buf.xb, n);
    // q [n][qDim], k and v [n][kvDim] from one normed input.
    b.matmulGroup(new Tensor[] {buf.q, buf.k, buf.v}, buf.xb,
        new LinearWeight[] {layer.wq(), layer.wk(), layer.wv()}, n);
    if (layer.hasBiases()) {
      addBias(b, buf.q, layer.bq(), n, qDim);
      addBias(b, buf.k, layer.bk(), n, kvDim);
      addBias(b, buf.v, layer.bv(), n, kvDim);
    }
    for (int s = 0; s < kv.segments(); s++) {
      int r0 = kv.row0(s);
      int rows = kv.rows(s);
      b.rope(buf.q.view((long) r0 * qDim, rows, qDim), buf.k.view((long) r0 * kvDim, rows, kvDim), rows, kv.pos0(s),
          c.nHeads(), c.nKvHeads(), c.headSize(), buf.ropeFrequencies, c.ropeScaling().cosSinScale(),
          c.ropeStyle());
    }
    activation(observer, Activation.QUERY, buf.q, n);
    activation(observer, Activation.KEY, buf.k, n);
    activation(observer, Activation.VALUE, buf.v, n);
    b.writeKv(kv, kvLayer, buf.k, buf.v);
    b.pagedAttention(buf.att, buf.q, kv, kvLayer, c.nHeads(), c.nKvHeads(), c.headSize(), c.slidingWindow());
    observe(observer, LinearInput.ATTENTION_OUTPUT, buf.att, n);
    b.matmul(buf.xb2, buf.att, layer.wo(), n);  // [n][dim]
    b.add(x, buf.xb2, (long) n * dim);
    activation(observer, Activation.ATTENTION_RESIDUAL, x, n);

    // SwiGLU MLP: x += w2(silu(w1·xn) * w3·xn).
    b.rmsnorm(buf.xb, x, layer.ffnNorm(), n, dim, c.normEps());
    observe(observer, LinearInput.FFN, buf.xb, n);
    b.matmulGroup(new Tensor[] {buf.hb, buf.hb2}, buf.xb, new LinearWeight[] {layer.w1(), layer.w3()}, n);
    activation(observer, Activation.GATE, buf.hb, n);
    activation(observer, Activation.UP, buf.hb2, n);
    b.swiglu(buf.hb, buf.hb2, (long) n * c.hiddenDim());
    observe(observer, LinearInput.DOWN, buf.hb, n);
    b.matmul(buf.xb2, buf.hb, layer.w2(), n);  // [n][dim]
    b.add(x, buf.xb2, (long) n * dim);
    activation(observer, Activation.BLOCK_OUTPUT, x, n);
  }

  /** rows [n][cols] += bias [cols], row by row. */
  private static void addBias(Backend b, Tensor rows, Tensor bias, int n, int cols) {
    for (int r = 0; r < n; r++) {
      b.add(rows.view((long) r * cols, 1, cols), bias, cols);
    }
  }

  private static void activation(Observer observer, Activation which, Tensor value, int rows) {
    if (observer != null) {
      observer.onActivation(which, value, rows);
    }
  }

  private static void observe(Observer observer, LinearInput which, Tensor input, int rows) {
    if (observer != null) {
      observer.onInput(which, input, rows);
    }
  }
}
