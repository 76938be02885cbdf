package org.sparsej.api;

import org.sparsej.util.SparsejException;

/** A model could not be loaded or a request could not be served; {@link #kind()} says which, the message why. */
public class ModelException extends SparsejException {
  /** What went wrong, coarsely, so a caller (an HTTP server) can map it to a status. */
  public enum Kind {
    /** The model or tokenizer file is missing, corrupt or unsupported, or no backend could be opened. */
    LOAD,
    /** A parameter is out of range (temperature, top-p, max tokens...). */
    INVALID_REQUEST,
    /** The prompt, or the prompt with the tokens asked for, does not fit the model's context or KV budget. */
    CONTEXT_EXCEEDED,
    /** Every slot is busy and the queue is full: try again later. */
    OVERLOADED,
    /** The request failed while running, or the model is closed. */
    FAILED
  }

  private final Kind kind;

  public ModelException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ModelException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
