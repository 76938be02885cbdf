package org.sparsej.util;

/**
 * A problem the user can act on (bad file, wrong shape, unknown flag value). Its message is one line that
 * names the problem; the CLI prints it without a stack trace.
 */
public class SparsejException extends RuntimeException {
  public SparsejException(String message) {
    super(oneLine(message));
  }

  public SparsejException(String message, Throwable cause) {
    super(oneLine(message), cause);
  }

  /**
   * Keeps a message to one printable line: names read from a file may hold control characters or be huge, so
   * control characters are escaped and an overlong message keeps its start and its end.
   */
  static String oneLine(String message) {
    if (message == null) {
      return null;
    }
    StringBuilder s = new StringBuilder(message.length());
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') {
        s.append(String.format("\\u%04x", (int) c));
      } else {
        s.append(c);
      }
    }
    return s.length() <= 2000 ? s.toString() : s.substring(0, 1200) + " [...] " + s.substring(s.length() - 600);
  }
}
