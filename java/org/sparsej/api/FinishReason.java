package org.sparsej.api;

/** Why a generation ended. */
public enum FinishReason {
  /** An end-of-sequence token or a stop string was produced (OpenAI's "stop"). */
  STOP,
  /** The requested number of tokens was produced (OpenAI's "length"). */
  LENGTH,
  /** The caller cancelled it, or the model was closed. */
  CANCELLED;

  /** The OpenAI spelling: "stop", "length" or "cancelled". */
  public String openAiName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
