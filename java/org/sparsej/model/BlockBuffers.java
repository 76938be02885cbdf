package org.sparsej.model;

import org.sparsej.backend.Backend;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** The activations one transformer block works in, for up to {@code maxTokens} rows, in the backend's memory. */
public final class BlockBuffers implements AutoCloseable {
  private final Backend backend;
  final int maxTokens;
  final Tensor xb;   // [tokens][dim] normed input / attention output
  final Tensor xb2;  // [tokens][dim] projection output
  final Tensor q;    // [tokens][dim]
  final Tensor k;    // [tokens][kvDim] this pass's keys, before they go to the KV pages
  final Tensor v;    // [tokens][kvDim]
  final Tensor hb;   // [tokens][hidden] gate
  final Tensor hb2;  // [tokens][hidden] up

  public BlockBuffers(Backend backend, LlamaConfig c, int maxTokens) {
    this.backend = backend;
    this.maxTokens = maxTokens;
    xb = backend.allocate(DType.F32, maxTokens, c.dim());
    xb2 = backend.allocate(DType.F32, maxTokens, c.dim());
    q = backend.allocate(DType.F32, maxTokens, c.dim());
    k = backend.allocate(DType.F32, maxTokens, c.kvDim());
    v = backend.allocate(DType.F32, maxTokens, c.kvDim());
    hb = backend.allocate(DType.F32, maxTokens, c.hiddenDim());
    hb2 = backend.allocate(DType.F32, maxTokens, c.hiddenDim());
  }

  public int maxTokens() {
    return maxTokens;
  }

  @Override
  public void close() {
    for (Tensor t : new Tensor[] {xb, xb2, q, k, v, hb, hb2}) {
      backend.free(t);
    }
  }
}
