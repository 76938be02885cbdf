package org.sparsej.engine;

import java.util.concurrent.CompletableFuture;

/** A submitted sequence. */
public interface SequenceHandle {
  /** Frees the slot and KV memory at the next step; the listener gets onFinished with CANCELLED. Idempotent. */
  void cancel();

  /** Completes with the result when the sequence ends, or exceptionally when it fails. */
  CompletableFuture<SequenceResult> completion();
}
