package org.sparsej.model;

import org.sparsej.backend.Backend;
import org.sparsej.tensor.DType;
import org.sparsej.tensor.Tensor;

/** The activations one transformer block works in, for up to {@code maxTokens} rows, in the backend's memory. */
public final class BlockBuffers implements AutoCloseable {
  private final Backend backend;
  final int maxTokens;
  final Tensor xb;   // [tokens][dim] normed input
  final Tensor att;  // [tokens][qDim] attention output
  final Tensor xb2;  // [tokens][dim] projection output
  final Tensor q;    // [tokens][qDim]
  final Tensor k;    // [tokens][kvDim] this pass's keys, before they go to the KV pages
  final Tensor v;    // [tokens][kvDim]
  final Tensor hb;   // [tokens][hidden] gate
  final Tensor hb2;  // [tokens][hidden] up
  final float[] ropeFrequencies;  // [headSize/2] each pair's rotation frequency, scaled as the config says

  public BlockBuffers(Backend backend, LlamaConfig c, int maxTokens) {
    this.backend = backend;
    this.maxTokens = maxTokens;
    xb = backend.allocate(DType.F32, maxTokens, c.dim());
    xb2 = backend.allocate(DType.F32, maxTokens, c.dim());
    att = backend.allocate(DType.F32, maxTokens, c.qDim());
    q = backend.allocate(DType.F32, maxTokens, c.qDim());
    k = backend.allocate(DType.F32, maxTokens, c.kvDim());
    v = backend.allocate(DType.F32, maxTokens, c.kvDim());
    hb = backend.allocate(DType.F32, maxTokens, c.hiddenDim());
    hb2 = backend.allocate(DType.F32, maxTokens, c.hiddenDim());
    ropeFrequencies = c.ropeScaling().inverseFrequencies(c.ropeTheta(), c.headSize());
  }

  public int maxTokens() {
    return maxTokens;
  }

  @Override
  public void close() {
    for (Tensor t : new Tensor[] {xb, att, xb2, q, k, v, hb, hb2}) {
      backend.free(t);
    }
  }
}
