package org.sparsej.model;

import org.sparsej.backend.Backend;

/** A loaded Llama model: its config and weights. Start an {@link InferenceSession} to run it on a backend. */
public final class LlamaModel {
  private final LlamaConfig config;
  private final LlamaWeights weights;

  public LlamaModel(LlamaConfig config, LlamaWeights weights) {
    this.config = config;
    this.weights = weights;
  }

  public LlamaConfig config() {
    return config;
  }

  public LlamaWeights weights() {
    return weights;
  }

  /** A fresh KV cache and activation buffers for up to {@code maxBatch} tokens per forward call. */
  public InferenceSession newSession(Backend backend, int maxBatch) {
    return new InferenceSession(this, backend, maxBatch);
  }
}
