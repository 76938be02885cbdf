package org.sparsej.util;

/**
 * A problem the user can act on (bad file, wrong shape, unknown flag value). Its message is one line that
 * names the problem; the CLI prints it without a stack trace.
 */
public class SparsejException extends RuntimeException {
  public SparsejException(String message) {
    super(message);
  }

  public SparsejException(String message, Throwable cause) {
    super(message, cause);
  }
}
