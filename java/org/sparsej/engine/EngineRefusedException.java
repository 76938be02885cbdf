package org.sparsej.engine;

import org.sparsej.util.SparsejException;

/** {@link Engine#submit} could not take a request: the one-line message says why. */
public final class EngineRefusedException extends SparsejException {
  private final boolean queueFull;

  EngineRefusedException(String message, boolean queueFull) {
    super(message);
    this.queueFull = queueFull;
  }

  /** True when the request itself is fine but the queue is full now (retry later); false when it can never run. */
  public boolean queueFull() {
    return queueFull;
  }
}
