package org.sparsej.engine;

/** Why a sequence ended. */
public enum FinishReason {
  /** It emitted a stop token, or its listener asked it to stop. */
  STOP,
  /** It reached maxNewTokens (a scoring request ends so at once). */
  LENGTH,
  /** It was cancelled (or the engine closed) before it ended otherwise. */
  CANCELLED
}
