package org.sparsej.engine;

import org.sparsej.generate.Sampler;

/** Called on the engine's thread: must be quick and never block (hand tokens to a queue). */
public interface SequenceListener {
  /**
   * Each generated token as soon as it is sampled; return false to finish the sequence now (STOP), e.g. when a
   * stop string appeared in the text.
   */
  boolean onToken(int token);

  /**
   * Instead of {@link #onToken(int)} when the sampling records top logits: the token with the logits of the step
   * that drew it (so a stream can carry each token's log-probabilities as it goes).
   */
  default boolean onToken(int token, Sampler.Step step) {
    return onToken(token);
  }

  void onFinished(SequenceResult result);

  /** The request failed after it was accepted (e.g. its KV pages could not be had); the sequence is gone. */
  void onError(RuntimeException error);

  /** A listener that ignores tokens (use the handle's completion for the result). */
  static SequenceListener ignoring() {
    return new SequenceListener() {
      @Override
      public boolean onToken(int token) {
        return true;
      }

      @Override
      public void onFinished(SequenceResult result) {}

      @Override
      public void onError(RuntimeException error) {}
    };
  }
}
